// Re-serialization of messages crossing the proxy. What is forwarded is built from the parsed
// message, never copied from the peer's raw bytes, so the next hop cannot read it differently
// (request smuggling defence, RFC 9112 section 11.2).
#pragma once

#include <string>
#include <string_view>

#include "proxy/http/request_parser.h"
#include "proxy/http/response_parser.h"
#include "proxy/pipeline/response_edits.h"

namespace portcullis::server {

struct ForwardRequestInfo {
  std::string_view client_ip;   // appended to X-Forwarded-For
  std::string_view request_id;  // sent as X-Request-Id
  bool tls = false;             // X-Forwarded-Proto
  bool chunked_body = false;    // re-chunked by the proxy
  bool upgrade = false;         // keep Connection: upgrade + Upgrade
  // Extra header names (lowercase) to drop, e.g. the origin-lock secret.
  const std::string_view* strip = nullptr;
  size_t num_strip = 0;
  // When a held, fully read body is forwarded with a Content-Length the proxy computed.
  bool has_override_length = false;
  uint64_t override_length = 0;
};

// Hop-by-hop per RFC 9110 7.6.1, plus the headers the proxy regenerates itself.
bool is_hop_by_hop(std::string_view name);

// Appends the normalized request head (request line + headers + CRLF) to out.
void serialize_request_head(const http::RequestHead& h, const ForwardRequestInfo& info,
                            std::string& out);

struct ForwardResponseInfo {
  std::string_view request_id;
  const pipeline::ResponseEdits* edits = nullptr;  // response-phase stages (security headers)
  bool chunked_to_client = false;  // the proxy frames the body with chunked encoding
  bool close = false;              // the proxy closes the client connection after this response
};

// Appends the normalized response head to out.
void serialize_response_head(const http::ResponseHead& h, const ForwardResponseInfo& info,
                             std::string& out);

// A complete local response (errors, blocks): status line, Content-Type text/plain,
// Content-Length, X-Request-Id, Connection: close when `close`, and a short body.
// extra_headers: complete "Name: value\r\n" lines from stages (e.g. Retry-After on a 429).
void serialize_local_response(uint16_t status, std::string_view body, std::string_view request_id,
                              bool close, std::string& out, std::string_view extra_headers = {});
std::string_view status_reason(uint16_t status);

}  // namespace portcullis::server
