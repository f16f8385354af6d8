#include "proxy/server/admin_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <netinet/in.h>

#include <cstring>

#include "proxy/http/request_parser.h"
#include "proxy/server/forwarding.h"
#include "proxy/server/runtime.h"

namespace portcullis::server {

AdminServer::AdminServer(event_base* base, Handlers handlers)
    : base_(base), handlers_(std::move(handlers)) {}

AdminServer::~AdminServer() {
  if (listener_ != nullptr) evconnlistener_free(listener_);
}

Result<std::string> AdminServer::listen(const config::HostPort& addr) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  Status s = resolve_host_port(addr, ss, len);
  if (!s) return s.error();
  listener_ =
      evconnlistener_new_bind(base_, on_accept, this, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                              128, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len));
  if (listener_ == nullptr) {
    return make_error("admin listener " + addr.to_string() + ": " + std::strerror(errno));
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof(bound);
  getsockname(evconnlistener_get_fd(listener_), reinterpret_cast<sockaddr*>(&bound), &blen);
  char host[64] = {};
  uint16_t port = 0;
  if (bound.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&bound);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&bound);
  inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
  port = ntohs(a->sin_port);
  return std::string(host) + ":" + std::to_string(port);
}

void AdminServer::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  auto* self = static_cast<AdminServer*>(arg);
  bufferevent* bev = bufferevent_socket_new(self->base_, fd, BEV_OPT_CLOSE_ON_FREE);
  timeval tv{5, 0};
  bufferevent_set_timeouts(bev, &tv, &tv);
  bufferevent_setcb(bev, on_read, nullptr, on_event, self);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void AdminServer::respond(bufferevent* bev, int status, std::string_view content_type,
                          std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(status_reason(static_cast<uint16_t>(status))) +
                    "\r\nContent-Type: " + std::string(content_type) +
                    "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n";
  out.append(body);
  evbuffer_add(bufferevent_get_output(bev), out.data(), out.size());
  bufferevent_disable(bev, EV_READ);
  bufferevent_setcb(bev, nullptr, on_write, on_event, this);
}

void AdminServer::on_read(bufferevent* bev, void* arg) {
  auto* self = static_cast<AdminServer*>(arg);
  evbuffer* in = bufferevent_get_input(bev);
  size_t len = evbuffer_get_length(in);
  size_t n = len < 8192 ? len : 8192;
  const char* p = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ev_ssize_t>(n)));
  http::Header headers[64];
  http::RequestHead head;
  http::ParseError err;
  http::ParseLimits limits;
  limits.max_head_bytes = 8192;
  limits.max_headers = 64;
  limits.max_target_bytes = 2048;
  auto st = http::parse_request(std::string_view(p, n), limits, headers, 64, head, err);
  if (st == http::ParseStatus::kIncomplete) return;
  if (st == http::ParseStatus::kError) {
    self->respond(bev, err.status, "text/plain", "bad request\n");
    return;
  }
  std::string_view path = head.target.substr(0, head.target.find('?'));
  if (head.method != "GET" && head.method != "HEAD") {
    self->respond(bev, 405, "text/plain", "method not allowed\n");
  } else if (path == "/healthz") {
    self->respond(bev, 200, "text/plain", "ok\n");
  } else if (path == "/readyz") {
    bool ready = self->handlers_.ready();
    self->respond(bev, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n");
  } else if (path == "/metrics") {
    std::string body;
    self->handlers_.metrics(body);
    self->respond(bev, 200, "text/plain; version=0.0.4", body);
  } else {
    self->respond(bev, 404, "text/plain", "not found\n");
  }
}

void AdminServer::on_write(bufferevent* bev, void*) {
  if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) bufferevent_free(bev);
}

void AdminServer::on_event(bufferevent* bev, short, void*) { bufferevent_free(bev); }

}  // namespace portcullis::server
