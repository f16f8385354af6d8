// UpstreamPool: per-worker keep-alive connections to the origin (no locking: one pool per worker).
// An idle connection that becomes readable (unexpected bytes) or closes is dropped at once and is
// never handed out (Pingora habit: a reused connection with leftover bytes is a desync).
//
// Origin I/O is done without bufferevents, like the client side: read(2) straight into the input
// buffer (a bufferevent issues a FIONREAD ioctl before every read) and writev(2) of what is queued.
// The read event stays armed from connect to close, across idle and busy periods, so handing a
// connection out or taking it back costs no epoll_ctl; whoever holds the connection (the pool or
// a Connection) sets its callbacks.
#pragma once

#include <event2/buffer.h>
#include <event2/event.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

namespace portcullis::server {

struct UpstreamConn;
// what: EV_READ / EV_WRITE / EV_TIMEOUT as libevent reports them.
using UpstreamCallback = void (*)(UpstreamConn* c, short what, void* arg);

struct UpstreamConn {
  int fd = -1;
  event* read_ev = nullptr;   // EV_READ|EV_PERSIST; its timeout is the idle/response timeout
  event* write_ev = nullptr;  // EV_WRITE: the connect, or armed while a write would block
  evbuffer* in = nullptr;     // bytes read from the origin
  evbuffer* out = nullptr;    // bytes the socket did not take yet
  bool connected = false;
  bool reused = false;       // handed out from the pool (vs freshly connected)
  bool read_armed = false;   // read_ev is added
  bool write_armed = false;  // write_ev is added (connect in progress or EPOLLOUT wanted)
  bool write_error = false;  // a write failed: reported from the write callback
  bool dead = false;         // EOF or error seen: never pooled again
  uint64_t origin_key = 0;
  UpstreamCallback on_read = nullptr;
  UpstreamCallback on_write = nullptr;
  void* arg = nullptr;
};

enum class UpstreamIo : uint8_t { kOk, kBlocked, kEof, kError };

// Reads into c->in until the socket is drained (a short read says so), c->in holds `limit`
// bytes, or EOF/error. got: whether any byte arrived.
UpstreamIo upstream_read(UpstreamConn* c, size_t limit, bool* got);
// Writes c->out with writev until empty (kOk) or the socket would block (kBlocked).
UpstreamIo upstream_flush(UpstreamConn* c);
// Arms / disarms the read event; ms == 0: no timeout. Re-adding only moves the timer.
void upstream_arm_read(UpstreamConn* c, uint32_t timeout_ms);
void upstream_disarm_read(UpstreamConn* c);
void upstream_arm_write(UpstreamConn* c, uint32_t timeout_ms);

class UpstreamPool {
 public:
  UpstreamPool(event_base* base, uint32_t max_idle, uint32_t idle_timeout_ms);
  ~UpstreamPool();

  // An idle, healthy connection to origin_key, or nullptr. With `probe`, a non-blocking
  // MSG_PEEK also catches a close that arrived since the loop last ran (worth a syscall for
  // requests that cannot be retried; an idempotent request is retried on a fresh connection).
  UpstreamConn* acquire(uint64_t origin_key, bool probe = true);
  // Starts a non-blocking connect and arms write_ev for its completion (timeout connect_ms);
  // the caller sets the callbacks before returning to the loop. nullptr if the socket fails or
  // the connect is refused at once.
  UpstreamConn* connect(const sockaddr* addr, socklen_t len, uint64_t origin_key,
                        uint32_t connect_ms);
  // Returns a connection whose last exchange ended cleanly; the pool may close it instead.
  void release(UpstreamConn* c);
  // Closes and frees.
  void discard(UpstreamConn* c);
  void clear();
  size_t idle_count() const { return idle_.size(); }

 private:
  static void on_read_ev(evutil_socket_t fd, short what, void* arg);
  static void on_write_ev(evutil_socket_t fd, short what, void* arg);
  static void on_idle(UpstreamConn* c, short what, void* arg);
  void drop_idle(UpstreamConn* c);

  event_base* base_;
  uint32_t max_idle_;
  uint32_t idle_timeout_ms_;
  std::vector<UpstreamConn*> idle_;  // LIFO: the most recently used is warmest
};

// A cheap key for "same origin" (address family, address and port).
uint64_t origin_key_of(const sockaddr* addr, socklen_t len);

}  // namespace portcullis::server
