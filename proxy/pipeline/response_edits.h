// ResponseEdits: what response-phase stages ask the forwarder to change in the origin's response
// head. Fixed capacity and views into config-owned strings: nothing allocated per response.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace portcullis::pipeline {

struct ResponseEdits {
  static constexpr size_t kMaxAdd = 12;
  static constexpr size_t kMaxRemove = 8;
  struct Add {
    std::string_view name;
    std::string_view value;
    bool override_origin = false;  // replace the origin's own header of that name
  };
  std::array<Add, kMaxAdd> add{};
  uint8_t num_add = 0;
  std::array<std::string_view, kMaxRemove> remove{};  // lowercase names
  uint8_t num_remove = 0;
  bool replace_5xx_body = false;  // answer 5xx with a neutral page instead of the origin's body

  bool add_header(std::string_view name, std::string_view value, bool override_origin) {
    if (num_add == kMaxAdd) return false;
    add[num_add++] = {name, value, override_origin};
    return true;
  }
  bool remove_header(std::string_view lowercase_name) {
    if (num_remove == kMaxRemove) return false;
    remove[num_remove++] = lowercase_name;
    return true;
  }
  bool empty() const { return num_add == 0 && num_remove == 0 && !replace_5xx_body; }
};

}  // namespace portcullis::pipeline
