#include "rules/generic/deserialization.h"

namespace portcullis::rules {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_class_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '\\' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Reads digits at s[i]; returns the value (capped) and advances i; false when there are none.
bool read_number(std::string_view s, size_t& i, size_t& value) {
  size_t start = i;
  value = 0;
  while (i < s.size() && is_digit(s[i]) && i - start < 6) value = value * 10 + (s[i++] - '0');
  return i > start;
}

// s[i] is 'O' or 'C': `O:8:"stdClass":1:{`.
bool php_object_at(std::string_view s, size_t i) {
  if (i + 1 >= s.size() || s[i + 1] != ':') return false;
  if (i > 0 && is_class_char(s[i - 1])) return false;  // part of a word ("FOO:3:...")
  size_t k = i + 2, len = 0, members = 0;
  if (!read_number(s, k, len) || len == 0 || len > 256) return false;
  if (k + 2 + len + 2 > s.size() || s[k] != ':' || s[k + 1] != '"') return false;
  k += 2;
  for (size_t n = 0; n < len; ++n) {
    if (!is_class_char(s[k + n])) return false;
  }
  k += len;
  if (s[k] != '"' || s[k + 1] != ':') return false;  // the declared length must match
  k += 2;
  if (!read_number(s, k, members)) return false;
  return k + 1 < s.size() && s[k] == ':' && s[k + 1] == '{';
}

}  // namespace

bool starts_with_serialization_magic(std::string_view s) {
  return s.starts_with("rO0AB") || s.starts_with("aced0005") || s.starts_with("ACED0005") ||
         s.starts_with("\xAC\xED\x00\x05") || s.starts_with("AAEAAAD/////");
}

std::optional<Finding> detect_deserialization(std::string_view in) {
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if ((c == 'O' || c == 'C') && php_object_at(in, i)) {
      return make_finding(Detector::kGeneric, "deserialization", "PHP serialized object",
                          "O:n:\"Class\"");
    }
    const bool value_start =
        i == 0 || in[i - 1] == '"' || in[i - 1] == '\'' || in[i - 1] == ':' || in[i - 1] == '>';
    if (value_start && starts_with_serialization_magic(in.substr(i))) {
      return make_finding(Detector::kGeneric, "deserialization", "Java/.NET serialized object",
                          "rO0AB");
    }
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
