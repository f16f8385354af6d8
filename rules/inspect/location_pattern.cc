#include "rules/inspect/location_pattern.h"

#include "rules/base/glob.h"

namespace portcullis::rules {

bool glob_match(std::string_view pattern, std::string_view text) {
  return portcullis::glob_match(pattern, text);
}

}  // namespace portcullis::rules
