// FixedString<N>: a bounded inline string for records that must be copied without allocating
// (audit events into the lock-free queue, request facts kept past the parsed head). Longer
// input is cut at N bytes and marked `truncated`, so a consumer can say the value was clipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace portcullis {

template <size_t N>
struct FixedString {
  static_assert(N <= UINT16_MAX, "len is 16 bits");
  char buf[N] = {};
  uint16_t len = 0;
  bool truncated = false;
  void set(std::string_view s) {
    len = static_cast<uint16_t>(s.size() < N ? s.size() : N);
    truncated = s.size() > N;
    if (len != 0) std::memcpy(buf, s.data(), len);
  }
  std::string_view view() const { return {buf, len}; }
  bool empty() const { return len == 0; }
};

}  // namespace portcullis
