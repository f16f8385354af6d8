#include "proxy/http/field_lines.h"

#include "proxy/http/char_class.h"
#include "proxy/http/tokens.h"

namespace portcullis::http::detail {
namespace {

// Case-insensitive compare of a token against a lower-case literal of the same length. For token
// chars, (c | 0x20) == lit holds only for c == lit or its upper-case letter: '-' (0x2D) could only
// collide with CR (0x0D), which is not a token char.
inline bool name_is(std::string_view name, std::string_view lower_lit) {
  for (size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower_lit[i]) return false;
  }
  return true;
}

inline ParseStatus fail(ParseError& err, uint16_t status, std::string_view reason) {
  err.status = status;
  err.reason = reason;
  return ParseStatus::kError;
}

// Records the fields the framing and connection logic depends on. Returns false (with err set) on
// a field that makes the message unacceptable on its own.
bool note_field(std::string_view name, std::string_view value, uint16_t bad_status, FieldFacts& f,
                ParseError& err) {
  switch (name.size()) {
    case 4:
      if (name_is(name, "host")) {
        ++f.host_count;
        f.host = value;
      }
      break;
    case 6:
      if (name_is(name, "expect")) {
        // RFC 9110 10.1.1: the only expectation defined is 100-continue (case-insensitive).
        if (iequals(value, "100-continue")) {
          f.expect_100_continue = true;
        } else {
          f.expect_other = true;
        }
      }
      break;
    case 7:
      if (name_is(name, "upgrade")) f.has_upgrade_header = true;
      break;
    case 10:
      if (name_is(name, "connection")) {
        if (has_token(value, "close")) f.connection_close = true;
        if (has_token(value, "keep-alive")) f.connection_keep_alive = true;
        if (has_token(value, "upgrade")) f.connection_upgrade = true;
      }
      break;
    case 14:
      if (name_is(name, "content-length")) {
        // Request smuggling (CL.CL): any second Content-Length, even an identical one, and any
        // list value ("5, 5") is rejected rather than reconciled (RFC 9112 6.3 rule 5).
        if (++f.content_length_count > 1) {
          err = {bad_status, "duplicate Content-Length"};
          return false;
        }
        if (!parse_content_length(value, f.content_length)) {
          err = {bad_status, "invalid Content-Length"};
          return false;
        }
      }
      break;
    case 17:
      if (name_is(name, "transfer-encoding")) {
        ++f.transfer_encoding_count;
        f.transfer_encoding = value;
      }
      break;
    default:
      break;
  }
  return true;
}

}  // namespace

bool parse_content_length(std::string_view v, uint64_t& out) {
  if (v.empty()) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) return false;
    n = n * 10 + d;
  }
  out = n;
  return true;
}

ParseStatus parse_field_lines(const char* p, const char* end, Header* storage, uint32_t max_fields,
                              uint16_t bad_status, uint16_t too_many_status, uint32_t& num_fields,
                              FieldFacts& facts, const char*& next, ParseError& err) {
  uint32_t n = 0;
  while (true) {
    if (p == end) return ParseStatus::kIncomplete;
    const char c = *p;
    if (c == '\r') {
      if (p + 1 == end) return ParseStatus::kIncomplete;
      if (p[1] != '\n') return fail(err, bad_status, "bare CR in header section");
      num_fields = n;
      next = p + 2;
      return ParseStatus::kComplete;
    }
    if (c == '\n') return fail(err, bad_status, "bare LF line terminator");
    // RFC 9112 5.2: obs-fold is rejected; a folded line would otherwise be read differently by
    // the proxy and the origin.
    if (c == ' ' || c == '\t') return fail(err, bad_status, "obs-fold or whitespace line start");

    const char* name_start = p;
    while (p != end && is(kToken, *p)) ++p;
    if (p == end) return ParseStatus::kIncomplete;
    if (*p != ':') {
      // RFC 9112 5.1: no whitespace between field name and colon (a classic smuggling vector).
      if (*p == ' ' || *p == '\t')
        return fail(err, bad_status, "whitespace or missing colon after header name");
      return fail(err, bad_status, "invalid header name");
    }
    if (p == name_start) return fail(err, bad_status, "empty header name");
    const std::string_view name(name_start, static_cast<size_t>(p - name_start));
    ++p;
    while (p != end && (*p == ' ' || *p == '\t')) ++p;
    const char* value_start = p;
    while (true) {
      p = skip_field_value_fast(p, end);
      if (p == end) return ParseStatus::kIncomplete;
      if (!is(kFieldValue, *p)) break;
      ++p;
    }
    if (*p != '\r') {
      if (*p == '\n') return fail(err, bad_status, "bare LF line terminator");
      return fail(err, bad_status, "control character in header value");
    }
    if (p + 1 == end) return ParseStatus::kIncomplete;
    if (p[1] != '\n') return fail(err, bad_status, "bare CR in header value");
    const char* value_end = p;
    while (value_end != value_start && (value_end[-1] == ' ' || value_end[-1] == '\t')) --value_end;
    p += 2;

    if (n == max_fields) return fail(err, too_many_status, "too many header fields");
    const std::string_view value(value_start, static_cast<size_t>(value_end - value_start));
    storage[n++] = Header{name, value};
    if (!note_field(name, value, bad_status, facts, err)) return ParseStatus::kError;
  }
}

}  // namespace portcullis::http::detail
