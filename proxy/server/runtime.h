// Runtime: the immutable snapshot everything on the request path reads: validated config,
// the built pipeline, resolved addresses. Swapped whole on reload; a request keeps the snapshot
// it started with until it completes.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/http/request_parser.h"
#include "proxy/pipeline/pipeline.h"
#include "proxy/tls/tls_context.h"
#include "rules/base/result.h"

namespace portcullis::server {

struct Runtime {
  uint64_t generation = 0;
  config::Config config;
  std::unique_ptr<pipeline::Pipeline> pipeline;
  sockaddr_storage origin_addr{};
  socklen_t origin_addr_len = 0;
  http::ParseLimits parse_limits;
  // One per configured listener, in config order; null for plain-HTTP listeners. Rebuilt on
  // reload (new certificates apply to new connections; open ones keep theirs).
  std::vector<std::shared_ptr<const tls::TlsContext>> listener_tls;
};

// Validates what the config loader cannot (address resolution) and builds the pipeline.
Result<std::shared_ptr<const Runtime>> build_runtime(config::Config cfg, uint64_t generation,
                                                     const pipeline::Services& services);

// Resolves a numeric or DNS host:port (once, at load) into a socket address.
Status resolve_host_port(const config::HostPort& hp, sockaddr_storage& out, socklen_t& len);

}  // namespace portcullis::server
