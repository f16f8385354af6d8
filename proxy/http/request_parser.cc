#include "proxy/http/request_parser.h"

#include <algorithm>
#include <cstring>

#include "proxy/http/char_class.h"
#include "proxy/http/field_lines.h"
#include "proxy/http/tokens.h"

namespace portcullis::http {
namespace {

using detail::is;

// RFC 9112 2.2 asks servers to ignore "at least one" empty line before the request-line (old
// clients sent CRLF after a POST body). A few are tolerated; more is noise or an attack.
constexpr int kMaxLeadingEmptyLines = 4;
// Registered methods are at most 17 bytes ("UPDATEREDIRECTREF"); a longer one is garbage.
constexpr size_t kMaxMethodBytes = 32;

inline ParseStatus fail(ParseError& err, uint16_t status, std::string_view reason) {
  err.status = status;
  err.reason = reason;
  return ParseStatus::kError;
}

// RFC 9112 3.2: origin-form, absolute-form (scheme "://" ...), authority-form (CONNECT only),
// asterisk-form (OPTIONS only). Bytes were already checked to be visible ASCII.
bool classify_target(std::string_view method, std::string_view target, TargetForm& form) {
  if (method == "CONNECT") {
    // authority-form = uri-host ":" port
    const size_t colon = target.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size()) return false;
    for (size_t i = 0; i < colon; ++i) {
      if (!is(detail::kHostChar, target[i])) return false;
    }
    for (size_t i = colon + 1; i < target.size(); ++i) {
      if (!is(detail::kDigit, target[i])) return false;
    }
    form = TargetForm::kAuthority;
    return true;
  }
  if (target[0] == '/') {
    form = TargetForm::kOrigin;
    return true;
  }
  if (target == "*") {
    form = TargetForm::kAsterisk;
    return method == "OPTIONS";
  }
  // absolute-form: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://".
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(target[0])) return false;
  size_t i = 1;
  while (i < target.size() && (alpha(target[i]) || is(detail::kDigit, target[i]) ||
                               target[i] == '+' || target[i] == '-' || target[i] == '.'))
    ++i;
  if (target.substr(i, 3) != "://") return false;
  form = TargetForm::kAbsolute;
  return true;
}

}  // namespace

ParseStatus parse_request(std::string_view buf, const ParseLimits& limits, Header* header_storage,
                          uint32_t header_capacity, RequestHead& out, ParseError& err) {
  const char* const begin = buf.data();
  // Never look past max_head_bytes: a head that does not end inside it is rejected (431).
  const char* const end = begin + std::min<size_t>(buf.size(), limits.max_head_bytes);
  const char* p = begin;
  const bool window_full = buf.size() >= limits.max_head_bytes;

  // While the request-line is still arriving, a line longer than max_target_bytes is a 414.
  const auto incomplete = [&](const char* partial_start) {
    if (static_cast<size_t>(end - partial_start) > limits.max_target_bytes)
      return fail(err, 414, "request-line too long");
    if (window_full) return fail(err, 431, "request header section too large");
    return ParseStatus::kIncomplete;
  };

  for (int i = 0; i < kMaxLeadingEmptyLines && end - p >= 2 && p[0] == '\r' && p[1] == '\n'; ++i)
    p += 2;
  if (p == end || (p[0] == '\r' && p + 1 == end)) return incomplete(p);

  // method = token
  const char* const method_start = p;
  while (p != end && is(detail::kToken, *p)) ++p;
  if (static_cast<size_t>(p - method_start) > kMaxMethodBytes)
    return fail(err, 400, "method too long");
  if (p == end) return incomplete(method_start);
  if (p == method_start) {
    if (*p == '\r' || *p == '\n') return fail(err, 400, "empty line before request-line");
    return fail(err, 400, "invalid method");
  }
  if (*p != ' ') return fail(err, 400, "invalid method");
  const std::string_view method(method_start, static_cast<size_t>(p - method_start));
  ++p;

  // request-target: visible ASCII only (no CTL, SP, DEL, bytes >= 0x80).
  const char* const target_start = p;
  while (true) {
    p = detail::skip_target_fast(p, end);
    if (p == end) return incomplete(target_start);
    if (!is(detail::kTarget, *p)) break;
    ++p;
  }
  const std::string_view target(target_start, static_cast<size_t>(p - target_start));
  if (target.size() > limits.max_target_bytes) return fail(err, 414, "request-target too long");
  if (*p != ' ') {
    if (*p == '\r' || *p == '\n') return fail(err, 400, "missing HTTP version (HTTP/0.9)");
    return fail(err, 400, "invalid byte in request-target");
  }
  if (target.empty()) return fail(err, 400, "empty request-target");
  ++p;

  uint8_t major = 0, minor = 0;
  const ParseStatus vs = detail::parse_http_version(p, end, major, minor);
  if (vs == ParseStatus::kIncomplete) return incomplete(end);  // target already within limits
  if (vs == ParseStatus::kError) return fail(err, 400, "malformed HTTP version");
  if (p == end || (p[0] == '\r' && p + 1 == end)) return incomplete(end);
  if (p[0] != '\r' || p[1] != '\n') return fail(err, 400, "malformed request-line ending");
  p += 2;
  // RFC 9110 6.2: a well-formed version we do not speak is a 505, not a 400.
  if (major != 1 || minor > 1) return fail(err, 505, "HTTP version not supported");

  TargetForm form = TargetForm::kOrigin;
  if (!classify_target(method, target, form)) return fail(err, 400, "invalid request-target form");

  detail::FieldFacts facts;
  uint32_t n = 0;
  const char* head_end = nullptr;
  const uint32_t max_fields = std::min(limits.max_headers, header_capacity);
  const ParseStatus fs = detail::parse_field_lines(p, end, header_storage, max_fields, 400, 431, n,
                                                   facts, head_end, err);
  if (fs == ParseStatus::kError) return fs;
  if (fs == ParseStatus::kIncomplete) {
    if (window_full) return fail(err, 431, "request header section too large");
    return ParseStatus::kIncomplete;
  }

  // RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0, with a valid value.
  if (facts.host_count > 1) return fail(err, 400, "multiple Host headers");
  if (facts.host_count == 0 && minor == 1) return fail(err, 400, "missing Host header");
  for (char c : facts.host) {
    if (!is(detail::kHostChar, c)) return fail(err, 400, "invalid Host header");
  }

  BodyFraming framing = BodyFraming::kNone;
  if (facts.transfer_encoding_count > 0) {
    // RFC 9112 6.1: HTTP/1.0 has no chunked coding; TE there means faulty framing.
    if (minor == 0) return fail(err, 400, "Transfer-Encoding in HTTP/1.0 request");
    // CL.TE / TE.CL smuggling: never pick one of the two (RFC 9112 6.1, 6.3 rule 3).
    if (facts.content_length_count > 0)
      return fail(err, 400, "both Content-Length and Transfer-Encoding");
    // Only exactly "chunked" is accepted: we decode no other coding and chunked must be final.
    if (facts.transfer_encoding_count > 1 || !iequals(facts.transfer_encoding, "chunked"))
      return fail(err, 400, "unsupported Transfer-Encoding");
    framing = BodyFraming::kChunked;
  } else if (facts.content_length_count > 0) {
    framing = BodyFraming::kContentLength;
  }
  if (facts.expect_other) return fail(err, 417, "unsupported Expect value");

  out.method = method;
  out.target = target;
  out.version_minor = minor;
  out.headers = header_storage;
  out.num_headers = n;
  out.framing = framing;
  out.content_length = framing == BodyFraming::kContentLength ? facts.content_length : 0;
  out.keep_alive = !facts.connection_close && (minor == 1 || facts.connection_keep_alive);
  out.expect_continue = facts.expect_100_continue && minor == 1;
  out.upgrade = facts.connection_upgrade && facts.has_upgrade_header;
  out.host = facts.host;
  out.head_bytes = static_cast<uint32_t>(head_end - begin);
  out.target_form = form;
  return ParseStatus::kComplete;
}

bool needs_reparse(std::string_view buf, size_t prev_size, const ParseLimits& limits) {
  if (prev_size == 0 || prev_size >= buf.size()) return true;
  if (buf.size() >= limits.max_head_bytes) return true;
  if (prev_size <= limits.max_target_bytes && buf.size() > limits.max_target_bytes) return true;
  return std::memchr(buf.data() + prev_size, '\n', buf.size() - prev_size) != nullptr;
}

}  // namespace portcullis::http
