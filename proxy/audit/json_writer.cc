#include "proxy/audit/json_writer.h"

#include <charconv>

namespace portcullis::audit {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void escape_byte(unsigned char c, std::string& out) {
  char b[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
  out.append(b, 6);
}

// Length of the valid UTF-8 sequence at s[i], 0 if invalid (RFC 3629 section 4 table).
size_t utf8_len(const unsigned char* s, size_t n) {
  unsigned char c = s[0];
  auto cont = [&](size_t k) { return k < n && (s[k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;  // overlong
    if (c == 0xED && s[1] > 0x9F) return 0;  // UTF-16 surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;  // overlong
    if (c == 0xF4 && s[1] > 0x8F) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;  // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
}

}  // namespace

void json_escape(std::string_view sv, std::string& out) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const size_t n = sv.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: a run of printable ASCII needing no escape.
    size_t run = i;
    while (run < n && s[run] >= 0x20 && s[run] < 0x7F && s[run] != '"' && s[run] != '\\') ++run;
    if (run > i) {
      out.append(sv.data() + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          escape_byte(c, out);  // other C0 controls and DEL
      }
      ++i;
      continue;
    }
    size_t len = utf8_len(s + i, n - i);
    if (len == 0) {
      escape_byte(c, out);
      ++i;
      continue;
    }
    if (len == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
      out += s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
    } else {
      out.append(sv.data() + i, len);
    }
    i += len;
  }
}

void JsonWriter::key(std::string_view k) {
  sep();
  out_ += '"';
  json_escape(k, out_);
  out_ += "\":";
  after_key_ = true;
}

void JsonWriter::string(std::string_view v) {
  sep();
  out_ += '"';
  json_escape(v, out_);
  out_ += '"';
}

void JsonWriter::number(int64_t v) {
  sep();
  char b[24];
  auto r = std::to_chars(b, b + sizeof(b), v);
  out_.append(b, r.ptr);
}

void JsonWriter::number(uint64_t v) {
  sep();
  char b[24];
  auto r = std::to_chars(b, b + sizeof(b), v);
  out_.append(b, r.ptr);
}

void JsonWriter::boolean(bool v) {
  sep();
  out_ += v ? "true" : "false";
}

}  // namespace portcullis::audit
