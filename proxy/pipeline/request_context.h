// RequestContext: the one per-request object passed through the pipeline phases (Pingora style).
// It only points at the parsed head (views into the connection's read buffer, valid during
// on_request_head) and carries small per-request facts; each stage keeps its own data elsewhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "proxy/http/request_parser.h"

namespace portcullis::pipeline {

struct RequestContext {
  const http::RequestHead* head = nullptr;  // valid during on_request_head only
  std::string_view peer_ip;                 // socket peer, text form
  std::string_view client_ip;               // resolved client address (peer unless a trusted proxy says otherwise)
  std::string_view request_id;
  bool tls = false;
  std::chrono::steady_clock::time_point start;

  // Filled as the request progresses, read by on_complete (audit, metrics).
  uint16_t response_status = 0;
  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
  std::string_view blocked_by;     // stage name, empty if not blocked
  std::string_view block_reason;
  bool monitored_block = false;    // a stage in monitor mode would have blocked
};

}  // namespace portcullis::pipeline
