// Transforms: the normalizations a custom rule asks for before its pattern runs (ModSecurity's
// t:lowercase, t:urlDecode... in a closed, documented set). They run in the order the rule lists
// them. Every transform keeps or shrinks the length, so output is bounded by the input (itself cut
// at max_input_bytes by the caller). Not thread-safe: one TransformScratch per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace portcullis::rules::custom {

enum class Transform : uint8_t {
  kLowercase,           // ASCII A-Z -> a-z (byte mode: other bytes untouched)
  kUrlDecode,           // one round of %XX and %uXXXX; '+' -> ' ' for query / form inputs
  kHtmlDecode,          // one round of HTML character references (&lt; &#x41; &#65;)
  kJsonUnescape,        // one round of JSON / JS \uXXXX escapes (surrogate pairs combined)
  kCompressWhitespace,  // runs of space, \t \n \r \f \v -> one space
  kRemoveWhitespace,    // drop space, \t \n \r \f \v
  kRemoveNulls,         // drop NUL bytes (C-string truncation tricks)
  kTrim,                // strip leading and trailing whitespace
  kNormalizePath,       // '\' -> '/', collapse "//", resolve "." and ".." (never above root)
};

std::string_view transform_name(Transform t);
std::optional<Transform> parse_transform(std::string_view name);
// "lowercase, url_decode, ..." for error messages.
std::string_view transform_names();

// Ping-pong buffers reused across calls: no allocation once warm.
class TransformScratch {
 public:
  // Applies `chain` to `in`. The result views one of the scratch buffers (or `in` when the chain
  // is empty) and is valid until the next apply().
  std::string_view apply(std::span<const Transform> chain, std::string_view in, bool plus_as_space);

 private:
  std::string a_;
  std::string b_;
};

}  // namespace portcullis::rules::custom
