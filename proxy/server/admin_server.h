// AdminServer: /healthz, /readyz and /metrics (Prometheus text) on a separate listener, loopback
// by default. Runs on the main thread's event loop; one request per connection.
#pragma once

#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <functional>
#include <string>

#include "proxy/config/config.h"
#include "rules/base/result.h"

namespace portcullis::server {

class AdminServer {
 public:
  struct Handlers {
    std::function<bool()> ready;
    std::function<void(std::string&)> metrics;
  };
  AdminServer(event_base* base, Handlers handlers);
  ~AdminServer();
  // Binds and listens; returns the bound "host:port".
  Result<std::string> listen(const config::HostPort& addr);

 private:
  static void on_accept(evconnlistener* l, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  static void on_read(bufferevent* bev, void* arg);
  static void on_write(bufferevent* bev, void* arg);
  static void on_event(bufferevent* bev, short what, void* arg);
  void respond(bufferevent* bev, int status, std::string_view content_type, std::string_view body);

  event_base* base_;
  Handlers handlers_;
  evconnlistener* listener_ = nullptr;
};

}  // namespace portcullis::server
