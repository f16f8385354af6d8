// Builds a RequestContext over a parsed head for the stage tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "proxy/pipeline/request_context.h"

namespace portcullis::rate_limit::testutil {

struct TestRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string client_ip = "192.0.2.1";

  http::RequestHead head;
  std::vector<http::Header> storage;
  pipeline::RequestContext ctx;

  pipeline::RequestContext& Build() {
    storage.clear();
    for (auto& [n, v] : headers) storage.push_back({n, v});
    head = http::RequestHead{};
    head.method = method;
    head.target = target;
    head.headers = storage.data();
    head.num_headers = static_cast<uint32_t>(storage.size());
    ctx = pipeline::RequestContext{};
    ctx.head = &head;
    ctx.client_ip = client_ip;
    ctx.peer_ip = client_ip;
    return ctx;
  }
};

}  // namespace portcullis::rate_limit::testutil
