// A raw request parsed once for a benchmark: the head's views point into `raw` and `headers`, so
// the object stays where it was built (no copy, no move).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "proxy/http/request_parser.h"

namespace portcullis::bench {

struct ParsedRequest {
  explicit ParsedRequest(std::string text) : raw(std::move(text)) {
    http::ParseError err;
    http::ParseLimits limits;
    ok = http::parse_request(raw, limits, headers, 32, head, err) == http::ParseStatus::kComplete;
  }
  ParsedRequest(const ParsedRequest&) = delete;
  ParsedRequest& operator=(const ParsedRequest&) = delete;

  std::string_view body() const { return std::string_view(raw).substr(head.head_bytes); }

  std::string raw;
  http::Header headers[32];
  http::RequestHead head;
  bool ok = false;
};

}  // namespace portcullis::bench
