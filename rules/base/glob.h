// glob_match: '*' matches any run of characters (also none), everything else matches itself
// ("query:q", "body.json:user.*", "*:password", "/api/*", "inspection.*"). Iterative with a
// single backtrack point (the classic wildcard matcher): O(n*m) worst case on bounded strings,
// no recursion, no allocation. The one matcher for locations, routes and audit action globs.
#pragma once

#include <string_view>

namespace portcullis {

inline bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace portcullis
