// Header field lines (RFC 9112 section 5) shared by the request and response parsers: one pass
// that validates each line, stores name/value views and records the framing-relevant fields.
// Internal to proxy/http.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/http/types.h"

namespace portcullis::http::detail {

// What the parsers need to know about the fields, gathered while they are scanned.
struct FieldFacts {
  uint32_t content_length_count = 0;
  uint64_t content_length = 0;
  uint32_t transfer_encoding_count = 0;
  std::string_view transfer_encoding;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  uint32_t host_count = 0;
  std::string_view host;
  bool expect_100_continue = false;
  bool expect_other = false;
  bool has_upgrade_header = false;
};

// Parses field lines starting at `p` (just after the start line's CRLF) through the empty line
// that ends the head. At most `max_fields` lines are accepted (more -> error with status
// `too_many_status`). Returns kIncomplete if `end` is reached first. On kComplete `next` points
// just past the final CRLF. Malformed lines give kError with `bad_status` (400 for requests, 502
// for responses).
ParseStatus parse_field_lines(const char* p, const char* end, Header* storage, uint32_t max_fields,
                              uint16_t bad_status, uint16_t too_many_status, uint32_t& num_fields,
                              FieldFacts& facts, const char*& next, ParseError& err);

// Parses "HTTP/" DIGIT "." DIGIT at p (RFC 9112 2.3: case-sensitive). On kComplete p is advanced
// past it. kIncomplete if end is reached while the bytes so far still match.
inline ParseStatus parse_http_version(const char*& p, const char* end, uint8_t& major,
                                      uint8_t& minor) {
  static constexpr char kShape[] = "HTTP/0.0";
  for (int i = 0; i < 8; ++i) {
    if (p + i == end) return ParseStatus::kIncomplete;
    const char c = p[i];
    const bool ok = kShape[i] == '0' ? (c >= '0' && c <= '9') : c == kShape[i];
    if (!ok) return ParseStatus::kError;
  }
  major = static_cast<uint8_t>(p[5] - '0');
  minor = static_cast<uint8_t>(p[7] - '0');
  p += 8;
  return ParseStatus::kComplete;
}

// Parses a Content-Length value: 1*DIGIT, no sign, no list, no overflow (RFC 9110 8.6).
bool parse_content_length(std::string_view v, uint64_t& out);

}  // namespace portcullis::http::detail
