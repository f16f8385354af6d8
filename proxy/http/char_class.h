// Byte classes of RFC 9110 / 9112 as 256-entry lookup tables, plus 8-bytes-at-a-time (SWAR)
// skips for the long runs (target, field values). Internal to proxy/http.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace portcullis::http::detail {

enum CharClass : uint8_t {
  kToken = 1 << 0,       // tchar (RFC 9110 5.6.2)
  kFieldValue = 1 << 1,  // field-vchar / obs-text / SP / HTAB (RFC 9110 5.5): no CTL, no DEL
  kTarget = 1 << 2,      // visible ASCII 0x21-0x7E: no CTL, SP, DEL or non-ASCII (RFC 9112 3.2)
  kHex = 1 << 3,         // HEXDIG
  kDigit = 1 << 4,       // DIGIT
  kHostChar = 1 << 5,    // uri-host [":" port] chars: unreserved / pct / sub-delims / ":" "[" "]"
  kQdText = 1 << 6,      // qdtext (RFC 9110 5.6.4): HTAB / SP / VCHAR except '"' and '\' / obs-text
};

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    constexpr const char* kTokenPunct = "!#$%&'*+-.^_`|~";
    bool punct = false;
    for (const char* p = kTokenPunct; *p; ++p) punct |= (c == *p);
    if (alpha || digit || punct) v |= kToken;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) v |= kFieldValue;
    if (c >= 0x21 && c <= 0x7e) v |= kTarget;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    if (digit) v |= kDigit;
    constexpr const char* kHostPunct = "-._~%!$&'()*+,;=:[]";
    bool hp = false;
    for (const char* p = kHostPunct; *p; ++p) hp |= (c == *p);
    if (alpha || digit || hp) v |= kHostChar;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
        (c >= 0x5d && c <= 0x7e) || c >= 0x80)
      v |= kQdText;
    t[c] = v;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kCharTable = make_table();

inline bool is(uint8_t cls, char c) { return (kCharTable[static_cast<uint8_t>(c)] & cls) != 0; }

inline uint64_t load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// Nonzero iff some byte of x is < n (n <= 128). Exact as a yes/no answer (Hacker's Delight 6-1).
constexpr uint64_t has_less(uint64_t x, uint64_t n) { return (x - kOnes * n) & ~x & kHighs; }
// Nonzero iff some byte of x is zero.
constexpr uint64_t has_zero(uint64_t x) { return (x - kOnes) & ~x & kHighs; }

// Skips bytes that are field-value chars other than HTAB (>= 0x20, != 0x7F), 8 at a time; the
// caller finishes byte by byte with the table (HTAB, CR and errors land there).
inline const char* skip_field_value_fast(const char* p, const char* end) {
  while (end - p >= 8) {
    const uint64_t x = load8(p);
    if (has_less(x, 0x20) | has_zero(x ^ (kOnes * 0x7f))) break;
    p += 8;
  }
  return p;
}

// Skips request-target bytes (0x21-0x7E), 8 at a time.
inline const char* skip_target_fast(const char* p, const char* end) {
  while (end - p >= 8) {
    const uint64_t x = load8(p);
    if (has_less(x, 0x21) | (x & kHighs) | has_zero(x ^ (kOnes * 0x7f))) break;
    p += 8;
  }
  return p;
}

}  // namespace portcullis::http::detail
