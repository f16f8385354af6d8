// RequestContext: the one per-request object passed through the pipeline phases (Pingora style).
// It points at the parsed head (views into the connection's buffers, valid during
// on_request_head and, for requests whose body a stage holds, during on_body_chunk) and carries
// small, bounded per-request facts that later stages, the forwarder and the audit stream read.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "proxy/http/request_parser.h"
#include "proxy/pipeline/request_summary.h"
#include "proxy/pipeline/verdict.h"
#include "rules/detect/finding.h"

struct event_base;

namespace portcullis::pipeline {

// One detector finding, with where in the request it was found (e.g. "query:id",
// "body.json:user.name", "header:user-agent"). Fixed size: no allocation per finding.
struct Detection {
  static constexpr size_t kMaxLocation = 95;
  static constexpr size_t kMaxExcerpt = 127;
  rules::Finding finding;
  std::string_view stage;  // string literal: the stage that recorded it
  bool blocked = false;    // false: monitor mode / detect-only
  char location_buf[kMaxLocation + 1] = {};
  uint8_t location_len = 0;
  char excerpt_buf[kMaxExcerpt + 1] =
      {};  // the decoded input, truncated (redaction is the sink's job)
  uint8_t excerpt_len = 0;

  std::string_view location() const { return {location_buf, location_len}; }
  std::string_view excerpt() const { return {excerpt_buf, excerpt_len}; }
  void set_location(std::string_view s) {
    location_len = static_cast<uint8_t>(s.size() < kMaxLocation ? s.size() : kMaxLocation);
    std::memcpy(location_buf, s.data(), location_len);
  }
  void set_excerpt(std::string_view s) {
    excerpt_len = static_cast<uint8_t>(s.size() < kMaxExcerpt ? s.size() : kMaxExcerpt);
    std::memcpy(excerpt_buf, s.data(), excerpt_len);
  }
};

// How an asynchronous stage delivers its verdict: copy ctx.async, return Verdict::Pending(), and
// later call async.resumer->resume(async.token, verdict) on the same worker thread (for example
// from a hiredis callback on async.loop). A token whose request is gone is ignored, so a late
// answer is always safe. Extra headers a late verdict wants on a 429 go in `headers`.
class Resumer {
 public:
  virtual ~Resumer() = default;
  virtual void resume(uint64_t token, Verdict verdict, std::string_view extra_headers) = 0;
};
struct AsyncHandle {
  Resumer* resumer = nullptr;
  uint64_t token = 0;
  struct event_base* loop = nullptr;  // the worker's libevent loop
};

struct RequestContext {
  static constexpr size_t kMaxDetections = 4;
  static constexpr size_t kMaxStripHeaders = 8;  // origin lock alone may strip 5

  const http::RequestHead* head = nullptr;
  std::string_view peer_ip;  // socket peer, text form (connection-owned storage)
  std::string_view
      client_ip;  // resolved client address; a stage that changes it points it at client_ip_buf
  char client_ip_buf[46] = {};
  std::string_view request_id;
  bool tls = false;
  // Set by the origin-lock stage: the socket peer is in the Cloudflare ranges / trusted_proxies.
  bool peer_trusted = false;
  // Set by the TLS listener (not implemented yet) when the client certificate verified against
  // the configured origin-pull CA (Authenticated Origin Pulls). Always false on plaintext.
  bool client_cert_verified = false;
  // Set by the access-lists stage for an allow-listed client (access_lists.bypass_*): the
  // rate-limit stage skips limits and auto-block strikes, the inspection stage skips detectors.
  bool bypass_rate_limit = false;
  bool bypass_inspection = false;
  AsyncHandle async;  // set by the connection before on_request_head

  // Extra response headers for a local (block) response, e.g. Retry-After and RateLimit on a
  // 429. Bounded; a stage appends complete "Name: value\r\n" lines.
  static constexpr size_t kMaxResponseHeaders = 256;
  char response_headers_buf[kMaxResponseHeaders] = {};
  uint16_t response_headers_len = 0;
  bool add_response_header_line(std::string_view line) {
    if (response_headers_len + line.size() > kMaxResponseHeaders) return false;
    std::memcpy(response_headers_buf + response_headers_len, line.data(), line.size());
    response_headers_len = static_cast<uint16_t>(response_headers_len + line.size());
    return true;
  }
  std::string_view response_headers() const { return {response_headers_buf, response_headers_len}; }
  std::chrono::steady_clock::time_point start;

  // Header names (lowercase string literals or config-owned strings) a stage wants removed
  // before forwarding, e.g. the origin-lock shared secret.
  std::array<std::string_view, kMaxStripHeaders> strip_headers{};
  uint8_t num_strip_headers = 0;
  bool add_strip_header(std::string_view lowercase_name) {
    if (num_strip_headers == kMaxStripHeaders) return false;
    strip_headers[num_strip_headers++] = lowercase_name;
    return true;
  }

  // Findings, first kMaxDetections kept; total counts all of them.
  std::array<Detection, kMaxDetections> detections{};
  uint8_t num_detections = 0;
  uint16_t total_detections = 0;
  Detection* add_detection() {
    ++total_detections;
    return num_detections < kMaxDetections ? &detections[num_detections++] : nullptr;
  }

  // Filled as the request progresses, read by on_complete (audit, metrics).
  uint16_t response_status = 0;
  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
  std::string_view blocked_by;  // stage name, empty if not blocked
  std::string_view block_reason;
  bool monitored_block = false;  // a stage in monitor mode would have blocked
  // Method, path, query, User-Agent, CF-Ray, trace id for the audit stream (request_summary.h).
  RequestSummary summary;
};

}  // namespace portcullis::pipeline
