// UpstreamPool: per-worker keep-alive connections to the origin (no locking: one pool per worker).
// An idle connection that becomes readable (unexpected bytes) or closes is dropped at once and is
// never handed out (Pingora habit: a reused connection with leftover bytes is a desync).
#pragma once

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

namespace portcullis::server {

struct UpstreamConn {
  bufferevent* bev = nullptr;
  bool connected = false;
  bool reused = false;  // handed out from the pool (vs freshly connected)
  uint64_t origin_key = 0;
};

class UpstreamPool {
 public:
  UpstreamPool(event_base* base, uint32_t max_idle, uint32_t idle_timeout_ms);
  ~UpstreamPool();

  // An idle, healthy connection to origin_key, or nullptr. With `probe`, a non-blocking
  // MSG_PEEK also catches a close that arrived since the loop last ran (worth a syscall for
  // requests that cannot be retried; an idempotent request is retried on a fresh connection).
  UpstreamConn* acquire(uint64_t origin_key, bool probe = true);
  // Starts a non-blocking connect; callbacks are set by the caller. nullptr if the socket fails.
  UpstreamConn* connect(const sockaddr* addr, socklen_t len, uint64_t origin_key);
  // Returns a connection whose last exchange ended cleanly; the pool may close it instead.
  void release(UpstreamConn* c);
  // Closes and frees.
  void discard(UpstreamConn* c);
  void clear();
  size_t idle_count() const { return idle_.size(); }

 private:
  static void on_idle_read(bufferevent* bev, void* arg);
  static void on_idle_event(bufferevent* bev, short what, void* arg);
  void drop_idle(bufferevent* bev);

  event_base* base_;
  uint32_t max_idle_;
  timeval idle_timeout_;
  std::vector<UpstreamConn*> idle_;  // LIFO: the most recently used is warmest
};

// A cheap key for "same origin" (address family, address and port).
uint64_t origin_key_of(const sockaddr* addr, socklen_t len);

}  // namespace portcullis::server
