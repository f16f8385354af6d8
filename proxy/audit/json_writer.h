// JsonWriter: appends JSON to a caller-owned std::string that is reused between events (no
// allocation once its capacity is reached). Strings are escaped so that any byte sequence yields
// valid JSON text (RFC 8259 section 7) that is also valid UTF-8:
//   - '"' and '\\' -> \" and \\; \b \f \n \r \t -> short escapes;
//   - every other control character U+0000..U+001F and DEL (0x7F) -> \u00XX;
//   - valid UTF-8 sequences (RFC 3629: no overlongs, no surrogates, <= U+10FFFF) pass through;
//   - every byte that is not part of a valid sequence -> \u00XX with XX its value (so the
//     original bytes stay recoverable, unlike U+FFFD), e.g. 0xC3 0x28 -> "\u00c3(".
//   - U+2028/U+2029 -> \u2028/\u2029 (JavaScript line terminators, safe for JSONP-era consumers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::audit {

// Appends the escaped contents of `s` (without quotes).
void json_escape(std::string_view s, std::string& out);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  void begin_object() {
    sep();
    out_ += '{';
    first_ = true;
  }
  void end_object() {
    out_ += '}';
    first_ = false;
  }
  void begin_array() {
    sep();
    out_ += '[';
    first_ = true;
  }
  void end_array() {
    out_ += ']';
    first_ = false;
  }
  void key(std::string_view k);  // k is escaped too
  void string(std::string_view v);
  void number(int64_t v);
  void number(uint64_t v);
  void boolean(bool v);
  // Appends `v` verbatim as the next value (the caller guarantees it is valid JSON).
  void raw(std::string_view v) {
    sep();
    out_ += v;
  }
  // Shorthands: "k": value.
  void field(std::string_view k, std::string_view v) {
    key(k);
    string(v);
  }
  void field_int(std::string_view k, int64_t v) {
    key(k);
    number(v);
  }

 private:
  void sep() {
    if (!first_ && !after_key_) out_ += ',';
    first_ = false;
    after_key_ = false;
  }
  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace portcullis::audit
