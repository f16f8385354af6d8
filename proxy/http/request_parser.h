// HTTP/1.1 request head parser (RFC 9112 sections 2-7), modeled on picohttpparser: a pure function
// over a contiguous buffer that fills caller-provided header storage with views into the buffer.
// Strict by design: every ambiguity that could let the proxy and the origin disagree on framing
// (request smuggling) is an error, not a guess.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/http/types.h"

namespace portcullis::http {

// RFC 9112 3.2. Absolute-form means the authority in the target overrides Host (RFC 9112 3.2.2):
// the connection code must use it, not the Host header.
enum class TargetForm : uint8_t { kOrigin, kAbsolute, kAuthority, kAsterisk };

struct RequestHead {
  std::string_view method, target;
  uint8_t version_minor = 1;  // HTTP/1.0 or HTTP/1.1 only
  Header* headers = nullptr;  // points into caller storage
  uint32_t num_headers = 0;
  BodyFraming framing = BodyFraming::kNone;  // kNone, kContentLength or kChunked
  uint64_t content_length = 0;
  bool keep_alive = true;        // from version + Connection tokens
  bool expect_continue = false;  // Expect: 100-continue (ignored for HTTP/1.0, RFC 9110 10.1.1)
  bool upgrade = false;          // Connection has token "upgrade" and an Upgrade header exists
  std::string_view host;         // the single Host header value (empty if HTTP/1.0 without Host)
  uint32_t head_bytes = 0;  // bytes of the head incl. skipped leading CRLFs and the final CRLFCRLF
  TargetForm target_form = TargetForm::kOrigin;
};

// Parses one request head at the start of buf.
//   kComplete:   `out` is filled; the body (if any) starts at buf[out.head_bytes].
//   kIncomplete: more bytes are needed and no limit is exceeded yet. Call again with the grown
//                buffer (the parse restarts from the beginning; it keeps no state).
//   kError:      `err` holds the status to answer (400, 414, 417, 431, 505) and a literal reason.
// Up to 4 leading empty lines (CRLF) are skipped (RFC 9112 2.2). At most
// min(limits.max_headers, header_capacity) fields are accepted, else 431. Never reads past
// buf.size() and never looks beyond limits.max_head_bytes.
ParseStatus parse_request(std::string_view buf, const ParseLimits& limits, Header* header_storage,
                          uint32_t header_capacity, RequestHead& out, ParseError& err);

// Re-parsing from scratch on every read makes a head that trickles in byte by byte cost
// O(n^2) (16 KiB at one byte per read = 128M byte scans: a slowloris CPU amplifier). Call
// parse_request / parse_response only when this returns true for the grown buffer, where
// prev_size is the buffer size at the previous (incomplete) parse, 0 for a fresh buffer.
// It is true when the new bytes end a line, or the buffer just crossed max_target_bytes or
// reached max_head_bytes (the 414/431 checks). A complete head is found at the same read as
// without gating; a bad byte inside a line is reported when that line ends or a limit is hit
// (the read timeout covers a peer that stops there). Parses per head <= lines + 3.
bool needs_reparse(std::string_view buf, size_t prev_size, const ParseLimits& limits);

}  // namespace portcullis::http
