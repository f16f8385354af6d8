// Value types shared by the HTTP/1.1 request parser, response parser and chunked decoder.
// Every string_view handed out points into the caller's buffer; nothing here owns memory.
#pragma once

#include <cstdint>
#include <string_view>

namespace portcullis::http {

// One header field line. `value` has leading and trailing OWS (SP / HTAB) removed (RFC 9110 5.5).
struct Header {
  std::string_view name;
  std::string_view value;
};

// Hard caps on a message head. Anything over them is rejected, never buffered (STYLE.md: bounded
// memory). max_head_bytes counts the whole head including leading CRLFs and the final CRLFCRLF.
struct ParseLimits {
  uint32_t max_head_bytes = 16384;
  uint32_t max_headers = 100;
  uint32_t max_target_bytes = 8192;
};

enum class ParseStatus : uint8_t { kComplete, kIncomplete, kError };

// How the message body is delimited (RFC 9112 section 6.3).
enum class BodyFraming : uint8_t {
  kNone,           // no body (or Content-Length: 0 is reported as kContentLength with 0)
  kContentLength,  // exactly content_length bytes follow the head
  kChunked,        // Transfer-Encoding: chunked; use ChunkedDecoder
  kUntilClose,     // responses only: the body runs until the upstream closes the connection
};

// Why a message was rejected. `status` is the HTTP status the proxy should answer with: 400/414/
// 417/431/505 for requests, 502 for a malformed upstream response, 400/413 from the chunked
// decoder. `reason` always points at a string literal (safe to keep after the buffer is gone).
struct ParseError {
  uint16_t status = 400;
  std::string_view reason;
};

}  // namespace portcullis::http
