// Bracket-notation form/query keys, as PHP, Rails/Rack and Node's `qs` expand them into nested
// objects: "user[name]" -> {user: {name}}, "a[b][$gt]" -> a.b.$gt, "a[]" -> array push. The
// nesting is where NoSQL operator and prototype-pollution payloads hide, so detectors look at
// the segments, not the flat key.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace portcullis::rules {

struct BracketKey {
  // qs defaults to depth 5 and PHP to 64; 16 covers real forms. Deeper keys keep their
  // unparsed tail as the last segment, like qs does, so nothing is silently dropped.
  static constexpr size_t kMaxSegments = 16;

  std::array<std::string_view, kMaxSegments> segments{};
  uint8_t count = 0;
  bool truncated = false;  // depth limit hit; the last segment is the raw remainder
  bool malformed = false;  // an unclosed '[' or text after a ']' ("a[b]c"); parsed leniently

  std::span<const std::string_view> view() const { return {segments.data(), count}; }
};

// Splits `key` into its root and bracket segments: "a[b][c]" -> {"a","b","c"},
// "[$ne]" -> {"", "$ne"}, "a[]" -> {"a",""}, "a" -> {"a"}. With `split_dots`, dots also separate
// segments outside brackets ("a.b[c]" -> {"a","b","c"}), as qs does with `allowDots`.
// Views point into `key`. Never allocates.
BracketKey parse_bracket_key(std::string_view key, bool split_dots = false);

}  // namespace portcullis::rules
