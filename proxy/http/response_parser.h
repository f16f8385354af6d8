// HTTP/1.1 response head parser (RFC 9112 sections 4-6) for upstream responses. Same strictness
// as the request parser; malformed responses are reported with status 502 (Bad Gateway).
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/http/types.h"

namespace portcullis::http {

struct ResponseHead {
  uint8_t version_minor = 1;
  uint16_t status = 0;        // 100..599
  std::string_view reason;    // may be empty
  Header* headers = nullptr;  // points into caller storage
  uint32_t num_headers = 0;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;   // false for kUntilClose, for "Connection: close", and for HTTP/1.0
                            // unless "Connection: keep-alive"
  uint32_t head_bytes = 0;  // bytes of the head including the final CRLFCRLF
};

// Parses one response head at the start of buf. Return values as parse_request; errors carry
// status 502. Framing follows RFC 9112 6.3: the response to HEAD, 1xx, 204 and 304 have no body
// (kNone); else chunked, else Content-Length, else kUntilClose (and keep_alive = false).
// A 1xx head is returned as kComplete: the caller forwards it and parses the next head.
// Transfer-Encoding other than exactly "chunked", TE in HTTP/1.0, and CL together with TE are
// errors (we neither decode codings nor guess framing).
ParseStatus parse_response(std::string_view buf, const ParseLimits& limits,
                           bool request_method_was_head, Header* header_storage,
                           uint32_t header_capacity, ResponseHead& out, ParseError& err);

}  // namespace portcullis::http
