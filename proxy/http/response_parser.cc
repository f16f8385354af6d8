#include "proxy/http/response_parser.h"

#include <algorithm>

#include "proxy/http/char_class.h"
#include "proxy/http/field_lines.h"
#include "proxy/http/tokens.h"

namespace portcullis::http {
namespace {

constexpr uint16_t kBadGateway = 502;

inline ParseStatus fail(ParseError& err, std::string_view reason) {
  err.status = kBadGateway;
  err.reason = reason;
  return ParseStatus::kError;
}

}  // namespace

ParseStatus parse_response(std::string_view buf, const ParseLimits& limits,
                           bool request_method_was_head, Header* header_storage,
                           uint32_t header_capacity, ResponseHead& out, ParseError& err) {
  const char* const begin = buf.data();
  const char* const end = begin + std::min<size_t>(buf.size(), limits.max_head_bytes);
  const bool window_full = buf.size() >= limits.max_head_bytes;
  const auto incomplete = [&] {
    if (window_full) return fail(err, "response header section too large");
    return ParseStatus::kIncomplete;
  };
  const char* p = begin;

  // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 4)
  uint8_t major = 0, minor = 0;
  const ParseStatus vs = detail::parse_http_version(p, end, major, minor);
  if (vs == ParseStatus::kIncomplete) return incomplete();
  if (vs == ParseStatus::kError) return fail(err, "malformed HTTP version");
  if (major != 1 || minor > 1) return fail(err, "unsupported HTTP version");
  uint16_t status = 0;
  for (int i = 0; i < 4; ++i) {
    if (p == end) return incomplete();
    const char c = *p++;
    if (i == 0 ? c != ' ' : (c < '0' || c > '9')) return fail(err, "malformed status code");
    if (i > 0) status = static_cast<uint16_t>(status * 10 + (c - '0'));
  }
  if (status < 100 || status > 599) return fail(err, "status code out of range");
  // Reason: SP then HTAB / SP / VCHAR / obs-text. A missing SP before an empty reason is tolerated
  // (common upstream behaviour, and unambiguous).
  if (p == end) return incomplete();
  const char* reason_start = p;
  if (*p == ' ') {
    ++p;
    reason_start = p;
    while (true) {
      p = detail::skip_field_value_fast(p, end);
      if (p == end) return incomplete();
      if (!detail::is(detail::kFieldValue, *p)) break;
      ++p;
    }
  }
  if (*p != '\r') return fail(err, "malformed status-line");
  if (p + 1 == end) return incomplete();
  if (p[1] != '\n') return fail(err, "bare CR in status-line");
  const std::string_view reason(reason_start, static_cast<size_t>(p - reason_start));
  p += 2;

  detail::FieldFacts facts;
  uint32_t n = 0;
  const char* head_end = nullptr;
  const uint32_t max_fields = std::min(limits.max_headers, header_capacity);
  const ParseStatus fs = detail::parse_field_lines(p, end, header_storage, max_fields, kBadGateway,
                                                   kBadGateway, n, facts, head_end, err);
  if (fs == ParseStatus::kError) return fs;
  if (fs == ParseStatus::kIncomplete) return incomplete();

  BodyFraming framing = BodyFraming::kNone;
  if (facts.transfer_encoding_count > 0) {
    // RFC 9112 6.1: TE in an HTTP/1.0 message means faulty framing; CL with TE is smuggling bait.
    if (minor == 0) return fail(err, "Transfer-Encoding in HTTP/1.0 response");
    if (facts.content_length_count > 0)
      return fail(err, "both Content-Length and Transfer-Encoding");
    if (facts.transfer_encoding_count > 1 || !iequals(facts.transfer_encoding, "chunked"))
      return fail(err, "unsupported Transfer-Encoding");
    framing = BodyFraming::kChunked;
  } else if (facts.content_length_count > 0) {
    framing = BodyFraming::kContentLength;
  } else {
    framing = BodyFraming::kUntilClose;
  }
  // RFC 9112 6.3 rule 1: these never have a body, whatever the framing headers say.
  if (request_method_was_head || status < 200 || status == 204 || status == 304) {
    framing = BodyFraming::kNone;
  }

  out.version_minor = minor;
  out.status = status;
  out.reason = reason;
  out.headers = header_storage;
  out.num_headers = n;
  out.framing = framing;
  out.content_length = framing == BodyFraming::kContentLength ? facts.content_length : 0;
  out.keep_alive = !facts.connection_close && (minor == 1 || facts.connection_keep_alive) &&
                   framing != BodyFraming::kUntilClose;
  out.head_bytes = static_cast<uint32_t>(head_end - begin);
  return ParseStatus::kComplete;
}

}  // namespace portcullis::http
