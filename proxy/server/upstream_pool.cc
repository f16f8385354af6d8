#include "proxy/server/upstream_pool.h"

#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace portcullis::server {

uint64_t origin_key_of(const sockaddr* addr, socklen_t len) {
  // FNV-1a over the raw address: only used to tell origins apart after a reload.
  uint64_t h = 1469598103934665603ull;
  const auto* p = reinterpret_cast<const unsigned char*>(addr);
  for (socklen_t i = 0; i < len; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

UpstreamPool::UpstreamPool(event_base* base, uint32_t max_idle, uint32_t idle_timeout_ms)
    : base_(base), max_idle_(max_idle) {
  idle_timeout_.tv_sec = idle_timeout_ms / 1000;
  idle_timeout_.tv_usec = (idle_timeout_ms % 1000) * 1000;
}

UpstreamPool::~UpstreamPool() { clear(); }

void UpstreamPool::clear() {
  for (UpstreamConn* c : idle_) {
    bufferevent_free(c->bev);
    delete c;
  }
  idle_.clear();
}

UpstreamConn* UpstreamPool::acquire(uint64_t origin_key, bool probe) {
  while (!idle_.empty()) {
    UpstreamConn* c = idle_.back();
    idle_.pop_back();
    // The idle callbacks drop closed or readable connections as soon as the loop sees them; the
    // peek catches a FIN that arrived since the last loop iteration.
    bool healthy =
        evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 && c->origin_key == origin_key;
    if (healthy && probe) {
      char byte;
      ssize_t n = recv(bufferevent_getfd(c->bev), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      healthy = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    if (!healthy) {
      bufferevent_free(c->bev);
      delete c;
      continue;
    }
    bufferevent_set_timeouts(c->bev, nullptr, nullptr);
    c->reused = true;
    return c;
  }
  return nullptr;
}

UpstreamConn* UpstreamPool::connect(const sockaddr* addr, socklen_t len, uint64_t origin_key) {
  bufferevent* bev = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) return nullptr;
  auto* c = new UpstreamConn();
  c->bev = bev;
  c->origin_key = origin_key;
  if (bufferevent_socket_connect(bev, addr, static_cast<int>(len)) != 0) {
    // Immediate failure (e.g. ECONNREFUSED on loopback): reported through the event callback
    // by libevent in most cases; treat a hard error here the same way.
    bufferevent_free(bev);
    delete c;
    return nullptr;
  }
  return c;
}

void UpstreamPool::release(UpstreamConn* c) {
  if (idle_.size() >= max_idle_ || evbuffer_get_length(bufferevent_get_input(c->bev)) != 0 ||
      evbuffer_get_length(bufferevent_get_output(c->bev)) != 0) {
    discard(c);
    return;
  }
  bufferevent_setcb(c->bev, on_idle_read, nullptr, on_idle_event, this);
  bufferevent_set_timeouts(c->bev, &idle_timeout_, nullptr);
  bufferevent_enable(c->bev, EV_READ);
  idle_.push_back(c);
}

void UpstreamPool::discard(UpstreamConn* c) {
  bufferevent_free(c->bev);
  delete c;
}

void UpstreamPool::drop_idle(bufferevent* bev) {
  auto it = std::find_if(idle_.begin(), idle_.end(),
                         [bev](const UpstreamConn* c) { return c->bev == bev; });
  if (it == idle_.end()) return;
  UpstreamConn* c = *it;
  idle_.erase(it);
  bufferevent_free(c->bev);
  delete c;
}

// Bytes from an idle origin connection are never valid HTTP/1.1 (no request is outstanding).
void UpstreamPool::on_idle_read(bufferevent* bev, void* arg) {
  static_cast<UpstreamPool*>(arg)->drop_idle(bev);
}

void UpstreamPool::on_idle_event(bufferevent* bev, short what, void* arg) {
  static_cast<UpstreamPool*>(arg)->drop_idle(bev);
}

}  // namespace portcullis::server
