#include "proxy/server/upstream_pool.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace portcullis::server {
namespace {

timeval ms_to_tv(uint32_t ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

void free_conn(UpstreamConn* c) {
  if (c->read_ev != nullptr) event_free(c->read_ev);
  if (c->write_ev != nullptr) event_free(c->write_ev);
  if (c->in != nullptr) evbuffer_free(c->in);
  if (c->out != nullptr) evbuffer_free(c->out);
  if (c->fd >= 0) ::close(c->fd);
  delete c;
}

}  // namespace

uint64_t origin_key_of(const sockaddr* addr, socklen_t len) {
  // FNV-1a over the raw address: only used to tell origins apart after a reload.
  uint64_t h = 1469598103934665603ull;
  const auto* p = reinterpret_cast<const unsigned char*>(addr);
  for (socklen_t i = 0; i < len; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

UpstreamIo upstream_read(UpstreamConn* c, size_t limit, bool* got) {
  // Chunks a little under 16 KiB: the evbuffer chain (header included) stays one allocation.
  constexpr size_t kChunk = 16384 - 128;
  *got = false;
  for (;;) {
    size_t len = evbuffer_get_length(c->in);
    if (len >= limit) return UpstreamIo::kOk;
    size_t room = std::min(limit - len, kChunk);
    evbuffer_iovec v;
    if (evbuffer_reserve_space(c->in, static_cast<ev_ssize_t>(room), &v, 1) < 1) {
      return UpstreamIo::kError;
    }
    ssize_t n = ::read(c->fd, v.iov_base, std::min(v.iov_len, room));
    if (n > 0) {
      v.iov_len = static_cast<size_t>(n);
      evbuffer_commit_space(c->in, &v, 1);
      *got = true;
      // A short read drained the socket: epoll is level-triggered, no read just to see EAGAIN.
      if (static_cast<size_t>(n) < room) return UpstreamIo::kOk;
      continue;
    }
    if (n == 0) return UpstreamIo::kEof;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return UpstreamIo::kOk;
    return UpstreamIo::kError;
  }
}

UpstreamIo upstream_flush(UpstreamConn* c) {
  constexpr int kMaxIov = 16;
  for (;;) {
    size_t len = evbuffer_get_length(c->out);
    if (len == 0) return UpstreamIo::kOk;
    evbuffer_iovec vec[kMaxIov];
    int cnt = std::min(evbuffer_peek(c->out, -1, nullptr, vec, kMaxIov), kMaxIov);
    iovec iov[kMaxIov];
    size_t tried = 0;
    for (int i = 0; i < cnt; ++i) {
      iov[i].iov_base = vec[i].iov_base;
      iov[i].iov_len = vec[i].iov_len;
      tried += vec[i].iov_len;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(cnt);
    // sendmsg rather than writev: MSG_NOSIGNAL (an origin that reset must not raise SIGPIPE).
    ssize_t n = ::sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      evbuffer_drain(c->out, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < tried) return UpstreamIo::kBlocked;  // socket buffer full
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return UpstreamIo::kBlocked;
    if (errno == EINTR) continue;
    return UpstreamIo::kError;
  }
}

void upstream_arm_read(UpstreamConn* c, uint32_t timeout_ms) {
  if (timeout_ms > 0) {
    timeval tv = ms_to_tv(timeout_ms);
    event_add(c->read_ev, &tv);  // already added: only the timer moves (no epoll_ctl)
  } else if (c->read_armed) {
    event_remove_timer(c->read_ev);  // event_add(ev, nullptr) would keep the old timeout
  } else {
    event_add(c->read_ev, nullptr);
  }
  c->read_armed = true;
}

void upstream_disarm_read(UpstreamConn* c) {
  if (!c->read_armed) return;
  c->read_armed = false;
  event_del(c->read_ev);
}

void upstream_arm_write(UpstreamConn* c, uint32_t timeout_ms) {
  if (timeout_ms > 0) {
    timeval tv = ms_to_tv(timeout_ms);
    event_add(c->write_ev, &tv);
  } else {
    event_add(c->write_ev, nullptr);
  }
  c->write_armed = true;
}

UpstreamPool::UpstreamPool(event_base* base, uint32_t max_idle, uint32_t idle_timeout_ms)
    : base_(base), max_idle_(max_idle), idle_timeout_ms_(idle_timeout_ms) {}

UpstreamPool::~UpstreamPool() { clear(); }

void UpstreamPool::clear() {
  for (UpstreamConn* c : idle_) free_conn(c);
  idle_.clear();
}

void UpstreamPool::on_read_ev(evutil_socket_t, short what, void* arg) {
  auto* c = static_cast<UpstreamConn*>(arg);
  c->on_read(c, what, c->arg);
}

void UpstreamPool::on_write_ev(evutil_socket_t, short what, void* arg) {
  auto* c = static_cast<UpstreamConn*>(arg);
  c->write_armed = false;  // not persistent: however it fired, it is no longer added
  c->on_write(c, what, c->arg);
}

UpstreamConn* UpstreamPool::acquire(uint64_t origin_key, bool probe) {
  while (!idle_.empty()) {
    UpstreamConn* c = idle_.back();
    idle_.pop_back();
    // The idle callback drops closed or readable connections as soon as the loop sees them; the
    // peek catches a FIN that arrived since the last loop iteration.
    bool healthy = !c->dead && evbuffer_get_length(c->in) == 0 && c->origin_key == origin_key;
    if (healthy && probe) {
      char byte;
      ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      healthy = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    if (!healthy) {
      free_conn(c);
      continue;
    }
    c->reused = true;
    return c;
  }
  return nullptr;
}

UpstreamConn* UpstreamPool::connect(const sockaddr* addr, socklen_t len, uint64_t origin_key,
                                    uint32_t connect_ms) {
  int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  if (::connect(fd, addr, len) != 0 && errno != EINPROGRESS) {
    ::close(fd);  // e.g. ECONNREFUSED at once on loopback
    return nullptr;
  }
  auto* c = new UpstreamConn();
  c->fd = fd;
  c->origin_key = origin_key;
  c->in = evbuffer_new();
  c->out = evbuffer_new();
  c->read_ev = event_new(base_, fd, EV_READ | EV_PERSIST, on_read_ev, c);
  c->write_ev = event_new(base_, fd, EV_WRITE, on_write_ev, c);
  if (c->in == nullptr || c->out == nullptr || c->read_ev == nullptr || c->write_ev == nullptr) {
    free_conn(c);
    return nullptr;
  }
  // Writable means the connect finished (either way); the timeout bounds it.
  upstream_arm_write(c, connect_ms);
  return c;
}

void UpstreamPool::release(UpstreamConn* c) {
  if (idle_.size() >= max_idle_ || c->dead || c->write_error || !c->connected ||
      evbuffer_get_length(c->in) != 0 || evbuffer_get_length(c->out) != 0) {
    discard(c);
    return;
  }
  if (c->write_armed) {
    event_del(c->write_ev);
    c->write_armed = false;
  }
  c->on_read = on_idle;
  c->on_write = on_idle;
  c->arg = this;
  upstream_arm_read(c, idle_timeout_ms_);
  idle_.push_back(c);
}

void UpstreamPool::discard(UpstreamConn* c) { free_conn(c); }

void UpstreamPool::drop_idle(UpstreamConn* c) {
  auto it = std::find(idle_.begin(), idle_.end(), c);
  if (it == idle_.end()) return;
  idle_.erase(it);
  free_conn(c);
}

// Bytes from an idle origin connection are never valid HTTP/1.1 (no request is outstanding); a
// readable socket is that, a FIN or an error. The timeout is the idle timeout.
void UpstreamPool::on_idle(UpstreamConn* c, short, void* arg) {
  static_cast<UpstreamPool*>(arg)->drop_idle(c);
}

}  // namespace portcullis::server
