#include "proxy/server/runtime.h"

#include <netdb.h>

#include <cstring>

namespace portcullis::server {

Status resolve_host_port(const config::HostPort& hp, sockaddr_storage& out, socklen_t& len) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(hp.port);
  std::string host = hp.host.empty() || hp.host == "*" ? "0.0.0.0" : hp.host;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return make_error("cannot resolve " + hp.to_string() + ": " + gai_strerror(rc));
  }
  std::memcpy(&out, res->ai_addr, res->ai_addrlen);
  len = res->ai_addrlen;
  freeaddrinfo(res);
  return Status::Ok();
}

Result<std::shared_ptr<const Runtime>> build_runtime(config::Config cfg, uint64_t generation,
                                                     const pipeline::Services& services) {
  auto rt = std::make_shared<Runtime>();
  rt->generation = generation;
  Status s = resolve_host_port(cfg.upstream.address, rt->origin_addr, rt->origin_addr_len);
  if (!s) return make_error("origin: " + s.error().reason);
  rt->parse_limits.max_head_bytes = cfg.limits.max_head_bytes;
  rt->parse_limits.max_headers = cfg.limits.max_headers;
  rt->parse_limits.max_target_bytes = cfg.limits.max_target_bytes;
  for (const config::ListenerConfig& l : cfg.listeners) {
    if (!l.tls) {
      rt->listener_tls.push_back(nullptr);
      continue;
    }
    tls::ServerTlsOptions o;
    for (const auto& c : l.tls->certificates) o.certificates.push_back({c.cert_file, c.key_file});
    o.client_ca_file = l.tls->client_ca_file;
    o.verify_client = static_cast<tls::VerifyClient>(l.tls->verify_client);
    o.allow_tls12 = !l.tls->tls13_only;
    auto t = tls::TlsContext::build(o);
    if (!t) return make_error("listener " + l.address.to_string() + ": " + t.error().reason);
    rt->listener_tls.push_back(std::move(t.value()));
  }
  auto p = pipeline::build_pipeline(cfg, services);
  if (!p) return p.error();
  rt->pipeline = std::move(p.value());
  rt->config = std::move(cfg);
  return std::shared_ptr<const Runtime>(std::move(rt));
}

}  // namespace portcullis::server
