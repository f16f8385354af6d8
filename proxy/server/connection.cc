#include "proxy/server/connection.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "proxy/audit/auditor.h"
#include "proxy/http/tokens.h"
#include "proxy/pipeline/request_summary.h"
#include "proxy/server/forwarding.h"
#include "proxy/server/log.h"
#include "proxy/server/runtime.h"
#include "proxy/server/worker.h"
#include "proxy/tls/tls_context.h"

namespace portcullis::server {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool method_is_idempotent(std::string_view m) {
  // RFC 9110 9.2.2. Only these may be replayed on a fresh connection after a failure.
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE";
}

void add_chunk_header(evbuffer* out, size_t n) {
  char line[24];
  int len = std::snprintf(line, sizeof(line), "%zx\r\n", n);
  evbuffer_add(out, line, static_cast<size_t>(len));
}

}  // namespace

// Upstream writes go straight to the socket when nothing is queued; what it does not take waits in
// the connection's output and leaves on EPOLLOUT, armed only then (no epoll_ctl per request).
void Connection::send_bytes(const char* data, size_t len) {
  UpstreamConn* u = upstream_;
  if (len > 0 && u->connected && !u->write_armed && !u->write_error &&
      evbuffer_get_length(u->out) == 0) {
    ssize_t w = send(u->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      data += w;
      len -= static_cast<size_t>(w);
    }
  }
  if (len == 0) return;
  evbuffer_add(u->out, data, len);
  flush_upstream();
}

void Connection::send_buffer(evbuffer* src, size_t len) {
  if (len == 0) return;
  evbuffer_remove_buffer(src, upstream_->out, len);
  flush_upstream();
}

void Connection::flush_upstream() {
  UpstreamConn* u = upstream_;
  // Before the connect completes, or while EPOLLOUT is awaited, the write callback flushes.
  if (u == nullptr || !u->connected || u->write_armed || u->write_error) return;
  UpstreamIo r = upstream_flush(u);
  if (r == UpstreamIo::kBlocked) {
    // A stalled origin: the write times out after upstream_response (none in a tunnel).
    uint32_t ms = phase_ == Phase::kTunnel || runtime_ == nullptr
                      ? 0
                      : static_cast<uint32_t>(runtime_->config.timeouts.upstream_response.count());
    upstream_arm_write(u, ms);
  } else if (r == UpstreamIo::kError) {
    // Reported from the write callback: the caller's frame may still use upstream_.
    u->write_error = true;
    event_active(u->write_ev, EV_WRITE, 0);
  }
}

Connection::Connection(Worker& worker, uint64_t id, evutil_socket_t fd, const sockaddr* peer,
                       int peer_len, SSL* ssl)
    : worker_(worker), id_(id), io_(fd, ssl), ssl_(ssl) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (peer->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, peer_ip_,
              sizeof(peer_ip_));
  } else if (peer->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr, peer_ip_,
              sizeof(peer_ip_));
  }
  handshaking_ = ssl != nullptr;
  in_ = evbuffer_new();
  out_ = evbuffer_new();
  evbuffer_add_cb(in_, on_input_changed, this);
  evbuffer_add_cb(out_, on_output_changed, this);
  read_ev_ = event_new(worker_.base(), fd, EV_READ | EV_PERSIST, on_client_readable, this);
  write_ev_ = event_new(worker_.base(), fd, EV_WRITE, on_client_writable, this);
  timer_ = evtimer_new(worker_.base(), on_timer, this);
}

Connection::~Connection() {
  phase_ = Phase::kClosed;  // nothing below may schedule I/O
  if (rs_ != nullptr) worker_.release_request_state(rs_);
  if (upstream_ != nullptr) worker_.pool().discard(upstream_);
  if (runtime_ != nullptr) worker_.release_runtime(runtime_);
  if (timer_ != nullptr) event_free(timer_);
  if (read_ev_ != nullptr) event_free(read_ev_);
  if (write_ev_ != nullptr) event_free(write_ev_);
  if (in_ != nullptr) evbuffer_free(in_);
  if (out_ != nullptr) evbuffer_free(out_);
  // io_ closes the socket (and frees the SSL) after this body.
}

void Connection::start() {
  const Runtime* rt = worker_.acquire_runtime();
  const auto& limits = rt->config.limits;
  // Backpressure: stop reading from the client once a buffer's worth of input is waiting, and be
  // told when the output to the client has drained to half (RFC-agnostic flow control).
  read_high_ = limits.buffer_bytes;
  write_low_ = limits.buffer_bytes / 2;
  write_timeout_ = rt->config.timeouts.client_write;
  // The keep-alive timer also bounds the TLS handshake.
  arm_timer(rt->config.timeouts.keepalive_idle);
  worker_.release_runtime(rt);
  update_read_interest();
}

void Connection::begin_drain() {
  close_after_response_ = true;
  if (phase_ == Phase::kIdle) close_now();
}

void Connection::arm_timer(std::chrono::milliseconds ms) {
  timeval tv = to_timeval(ms);
  evtimer_add(timer_, &tv);
}

void Connection::reset_request_state() {
  if (rs_ == nullptr) rs_ = worker_.acquire_request_state();
  rs_->ctx = pipeline::RequestContext{};
  completed_ = false;
  ++request_seq_;
  req_framing_ = http::BodyFraming::kNone;
  req_remaining_ = 0;
  req_chunked_.reset();
  req_body_done_ = true;
  req_is_head_ = req_idempotent_ = req_upgrade_ = false;
  client_http10_ = false;
  client_keep_alive_ = true;
  retried_ = false;
  rs_->replay_head.clear();
  holding_ = false;
  evbuffer_drain(rs_->held_body, evbuffer_get_length(rs_->held_body));
  resp_phase_ = RespPhase::kAwaitHead;
  resp_framing_ = http::BodyFraming::kNone;
  resp_remaining_ = 0;
  resp_chunked_.reset();
  resp_chunk_to_client_ = false;
  resp_keep_alive_ = true;
  response_bytes_sent_ = false;
  resp_status_ = 0;
  upstream_bytes_seen_ = 0;
}

// Idle keep-alive connections hold no request state: it goes back to the worker's pool, so
// 10,000 idle clients cost only their sockets, two empty evbuffers and three events.
void Connection::release_request_state() {
  if (rs_ == nullptr) return;
  worker_.release_request_state(rs_);
  rs_ = nullptr;
}

// ---------------------------------------------------------------- client side

void Connection::on_client_readable(evutil_socket_t, short what, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  if (c->phase_ == Phase::kClosed) return;
  if (what & EV_TIMEOUT) {
    c->read_timed_out();
    return;
  }
  if (c->handshaking_) {
    c->do_handshake();
    return;
  }
  if (c->write_wants_read_) {
    c->write_wants_read_ = false;
    c->flush_client();
    if (c->phase_ == Phase::kClosed) return;
  }
  c->read_client();
}

void Connection::on_client_writable(evutil_socket_t, short what, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  // write_ev_ is not persistent: however it fired (EPOLLOUT, timeout, by hand), it is not armed.
  c->flush_scheduled_ = false;
  c->write_blocked_ = false;
  if (c->phase_ == Phase::kClosed) return;
  if (what & EV_TIMEOUT) {
    // A client that does not read its response (client_write timeout): nothing left to say.
    c->close_now();
    return;
  }
  if (c->handshaking_) {
    c->do_handshake();
    return;
  }
  if (c->read_wants_write_) {
    c->read_wants_write_ = false;
    c->read_client();
    if (c->phase_ == Phase::kClosed) return;
  }
  c->flush_client();
}

// Anything added to the output is flushed once, after the current callback: a response head and
// its body, or several pipelined responses, leave in one writev / one TLS record.
void Connection::on_output_changed(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  if (info->n_added > 0) static_cast<Connection*>(arg)->schedule_flush();
}

// The parser consumed input: if reading stopped at the high watermark, it may resume.
void Connection::on_input_changed(evbuffer* buf, const evbuffer_cb_info* info, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  if (info->n_deleted > 0 && c->input_full_ && evbuffer_get_length(buf) < c->read_high_) {
    c->update_read_interest();
  }
}

void Connection::schedule_flush() {
  // While blocked, EPOLLOUT will come; during the handshake the flush follows its completion.
  if (flush_scheduled_ || write_blocked_ || handshaking_ || phase_ == Phase::kClosed) return;
  flush_scheduled_ = true;
  event_active(write_ev_, EV_WRITE, 0);
}

void Connection::update_read_interest() {
  if (phase_ == Phase::kClosed) return;
  input_full_ = evbuffer_get_length(in_) >= read_high_;
  bool want = handshaking_ || write_wants_read_ ||
              (!client_read_paused_ && !input_full_ && phase_ != Phase::kClosing);
  if (want) {
    if (!read_armed_) {
      read_armed_ = true;
      if (read_timeout_.count() > 0) {
        timeval tv = to_timeval(read_timeout_);
        event_add(read_ev_, &tv);
      } else {
        event_add(read_ev_, nullptr);
      }
    }
    // Records already inside OpenSSL (read ahead) raise no socket event: if the last read
    // stopped at the watermark rather than on an empty socket, run the next one by hand.
    if (!read_drained_ && io_.has_buffered_input()) {
      read_drained_ = true;
      event_active(read_ev_, EV_READ, 0);
    }
  } else if (read_armed_) {
    read_armed_ = false;
    event_del(read_ev_);
  }
}

// Client read timeout (a stalled request body, an idle tunnel); ms == nullptr: none. The timer
// restarts on every read, like a bufferevent's.
void Connection::set_client_read_timeout(const std::chrono::milliseconds* ms) {
  std::chrono::milliseconds want = ms == nullptr ? std::chrono::milliseconds(0) : *ms;
  if (want == read_timeout_) return;
  read_timeout_ = want;
  if (!read_armed_) return;
  if (want.count() > 0) {
    timeval tv = to_timeval(want);
    event_add(read_ev_, &tv);  // only reschedules the timeout: no epoll_ctl
  } else {
    event_remove_timer(read_ev_);  // event_add(ev, nullptr) would keep the old timeout
  }
}

void Connection::pause_client_read() {
  client_read_paused_ = true;
  update_read_interest();
}

void Connection::resume_client_read() {
  client_read_paused_ = false;
  update_read_interest();
}

void Connection::do_handshake() {
  tls::IoStatus st = io_.handshake();
  switch (st) {
    case tls::IoStatus::kOk:
      handshaking_ = false;
      if (evbuffer_get_length(out_) > 0) schedule_flush();
      // The first request may already sit in OpenSSL's read-ahead buffer.
      read_client();
      return;
    case tls::IoStatus::kWantRead:
      return;  // read_ev_ stays armed
    case tls::IoStatus::kWantWrite:
      if (!write_blocked_) {
        write_blocked_ = true;
        event_add(write_ev_, nullptr);  // bounded by the keep-alive timer
      }
      return;
    case tls::IoStatus::kEof:
      close_now();  // a TCP probe or a client giving up: not a failure of ours to report
      return;
    case tls::IoStatus::kError:
      handshake_failed();
      return;
  }
}

void Connection::handshake_failed() {
  // A failed handshake (bad client certificate, no shared cipher, plain HTTP on a TLS port):
  // counted and audited, never more than a closed connection.
  worker_.metrics().add(worker_.metrics().tls_handshake_failures);
  if (audit::Auditor* a = worker_.auditor()) {
    audit::Event ev;
    ev.kind = audit::EventKind::kEvent;
    ev.category.set("network");
    ev.type.set("error");
    ev.outcome = audit::Outcome::kFailure;
    ev.action.set("tls.handshake_failed");
    ev.priority = a->classify("tls.handshake_failed", "");
    ev.source_ip.set(peer_ip_);
    ev.client_ip.set(peer_ip_);
    char reason[128] = "no OpenSSL reason";
    if (io_.error() != 0) ERR_error_string_n(io_.error(), reason, sizeof(reason));
    ev.message.set(reason);
    a->emit(ev);
  }
  close_now();
}

// Reads until the socket is drained (a short read says so: no extra read just to see EAGAIN),
// the input reaches the high watermark, or the peer is gone; then lets the state machine run.
void Connection::read_client() {
  // A first read of under 4 KiB takes a typical head whole without pinning 16 KiB per slow
  // client; bodies then read up to about one TLS record (16 KiB of plaintext, RFC 8446 5.1).
  // Both stay a little under a power of two so the evbuffer chain (header included) is one
  // 4 KiB / 16 KiB allocation, not twice that.
  constexpr size_t kFirstChunk = 4096 - 128;
  constexpr size_t kChunk = 16384 - 128;
  bool got = false;
  bool gone = false;
  bool error = false;
  read_drained_ = false;
  for (;;) {
    size_t len = evbuffer_get_length(in_);
    if (len >= read_high_) break;
    size_t room = std::min<size_t>(read_high_ - len, len == 0 ? kFirstChunk : kChunk);
    evbuffer_iovec v;
    if (evbuffer_reserve_space(in_, static_cast<ev_ssize_t>(room), &v, 1) < 1) {
      gone = error = true;
      break;
    }
    tls::IoResult r = io_.read(static_cast<char*>(v.iov_base), std::min(v.iov_len, room));
    if (r.status == tls::IoStatus::kOk) {
      v.iov_len = r.n;
      evbuffer_commit_space(in_, &v, 1);
      got = true;
      if (r.n < room && !io_.has_buffered_input()) {
        read_drained_ = true;
        break;
      }
      continue;
    }
    if (r.status == tls::IoStatus::kWantRead) {
      read_drained_ = true;
      break;
    }
    if (r.status == tls::IoStatus::kWantWrite) {
      // TLS needs to send first (e.g. a key update answer): wait for EPOLLOUT.
      read_wants_write_ = true;
      if (!write_blocked_) {
        write_blocked_ = true;
        event_add(write_ev_, nullptr);
      }
      break;
    }
    gone = true;
    error = r.status == tls::IoStatus::kError;
    break;
  }
  if (got) handle_client_input();
  if (phase_ == Phase::kClosed) return;
  if (gone) {
    client_gone(error);
    return;
  }
  update_read_interest();
}

void Connection::client_gone(bool error) {
  if (!error && phase_ == Phase::kTunnel && upstream_ != nullptr) {
    // Half-close in a tunnel: pass what is left, then end both sides.
    tunnel_to_upstream();
  }
  // A local answer queued in this very callback still gets its one chance.
  if (!error) flush_client();
  close_now();
}

void Connection::read_timed_out() {
  // A client that stalls its body (body_idle) or an idle tunnel.
  if (phase_ == Phase::kActive && !req_body_done_ && !response_bytes_sent_) {
    send_local_response(408, "request body timeout\n", true);
    return;
  }
  close_now();
}

// Writes what is queued: plaintext in one writev of up to 16 chains; TLS as one SSL_write of up
// to 16 KiB (one record, one write(2)), copying small chains together first.
void Connection::flush_client() {
  constexpr size_t kRecord = 16384;
  constexpr int kMaxIov = 16;
  bool progress = false;
  bool blocked = false;
  for (;;) {
    size_t len = evbuffer_get_length(out_);
    if (len == 0) break;
    tls::IoResult r;
    size_t tried = 0;
    if (ssl_ != nullptr) {
      size_t n = tls_retry_len_ > 0 ? tls_retry_len_ : std::min(len, kRecord);
      evbuffer_iovec first;
      evbuffer_peek(out_, -1, nullptr, &first, 1);
      iovec iov;
      iov.iov_base =
          first.iov_len >= n ? first.iov_base : evbuffer_pullup(out_, static_cast<ev_ssize_t>(n));
      iov.iov_len = n;
      tried = n;
      r = io_.writev(&iov, 1);
    } else {
      evbuffer_iovec vec[kMaxIov];
      int cnt = evbuffer_peek(out_, -1, nullptr, vec, kMaxIov);
      cnt = std::min(cnt, kMaxIov);
      iovec iov[kMaxIov];
      for (int i = 0; i < cnt; ++i) {
        iov[i].iov_base = vec[i].iov_base;
        iov[i].iov_len = vec[i].iov_len;
        tried += vec[i].iov_len;
      }
      r = io_.writev(iov, cnt);
    }
    if (r.status == tls::IoStatus::kOk) {
      tls_retry_len_ = 0;
      evbuffer_drain(out_, r.n);
      progress = true;
      if (r.n < tried) {
        blocked = ssl_ == nullptr;  // a short writev: the socket buffer is full
        if (blocked) break;
      }
      continue;
    }
    if (r.status == tls::IoStatus::kWantWrite) {
      if (ssl_ != nullptr) tls_retry_len_ = tried;
      blocked = true;
      break;
    }
    if (r.status == tls::IoStatus::kWantRead) {
      tls_retry_len_ = tried;
      write_wants_read_ = true;
      update_read_interest();
      break;
    }
    close_now();  // the client is gone (reset, EPIPE) or TLS failed
    return;
  }
  if (blocked) {
    // Arm EPOLLOUT (again, after progress: the write timeout counts from the last progress).
    if (!write_blocked_ || progress) {
      write_blocked_ = true;
      if (write_timeout_.count() > 0) {
        timeval tv = to_timeval(write_timeout_);
        event_add(write_ev_, &tv);
      } else {
        event_add(write_ev_, nullptr);
      }
    }
  } else if (write_blocked_) {
    write_blocked_ = false;
    event_del(write_ev_);
  }
  if (progress && evbuffer_get_length(out_) <= write_low_) output_drained();
}

void Connection::output_drained() {
  if (phase_ == Phase::kClosing) {
    if (evbuffer_get_length(out_) == 0) close_now();
    return;
  }
  // The client drained below the low watermark: resume reading from the origin.
  if (upstream_ != nullptr && upstream_read_paused_) {
    upstream_read_paused_ = false;
    if (phase_ == Phase::kTunnel) {
      tunnel_to_client();
    } else {
      handle_upstream_input();
    }
    if (phase_ != Phase::kClosed) update_upstream_read();
  }
}

void Connection::handle_client_input() {
  for (;;) {
    switch (phase_) {
      case Phase::kIdle:
      case Phase::kHead:
        if (!try_parse_head()) return;
        continue;  // a local response on a keep-alive connection: look for the next request
      case Phase::kPending:
        return;  // an asynchronous stage has not answered yet
      case Phase::kActive:
        if (!req_body_done_) pump_request_body();
        // Pipelined bytes of the next request stay buffered (bounded by the read watermark).
        return;
      case Phase::kTunnel:
        if (upstream_ != nullptr) tunnel_to_upstream();
        return;
      case Phase::kClosing:
      case Phase::kClosed: {
        // Discard anything the client still sends while we flush a final response.
        evbuffer_drain(in_, evbuffer_get_length(in_));
        return;
      }
    }
  }
}

bool Connection::try_parse_head() {
  evbuffer* in = in_;
  size_t len = evbuffer_get_length(in);
  if (len == 0) return false;
  if (phase_ == Phase::kIdle) {
    reset_request_state();
    runtime_ = worker_.acquire_runtime();
    phase_ = Phase::kHead;
    head_scanned_ = 0;
    rs_->ctx.start = std::chrono::steady_clock::now();
    arm_timer(runtime_->config.timeouts.request_head);
  }
  const http::ParseLimits& limits = runtime_->parse_limits;
  size_t n = std::min<size_t>(len, limits.max_head_bytes);
  const char* p = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ev_ssize_t>(n)));
  // Only re-parse when the new bytes can change the outcome (a line ended or a limit was
  // crossed): a head trickled in byte by byte must not cost O(n^2) scans.
  if (!http::needs_reparse(std::string_view(p, n), head_scanned_, limits)) {
    head_scanned_ = n;
    return false;
  }
  head_scanned_ = n;
  http::RequestHead head;
  http::ParseError err;
  http::ParseStatus st =
      http::parse_request(std::string_view(p, n), limits, worker_.header_storage(),
                          worker_.header_capacity(), head, err);
  if (st == http::ParseStatus::kIncomplete) return false;
  if (st == http::ParseStatus::kError) {
    worker_.metrics().add(worker_.metrics().parse_errors);
    rs_->ctx.blocked_by = "http_parser";
    rs_->ctx.block_reason = err.reason;
    std::string body(err.reason);
    body += "\n";
    send_local_response(err.status, body, /*close=*/true);
    return false;
  }
  evtimer_del(timer_);
  worker_.metrics().add(worker_.metrics().bytes_in, head.head_bytes);
  // Method, path, user agent, CF-Ray... kept (bounded) for the audit event, even if a stage blocks.
  pipeline::capture_request_summary(head, rs_->ctx.summary);
  process_head(head);
  // process_head either went async (kActive), closed, or answered locally and is back at kIdle.
  return phase_ == Phase::kIdle;
}

void Connection::process_head(const http::RequestHead& head) {
  evbuffer* in = in_;

  // Request id: keep a sane incoming one, else create one.
  std::string_view incoming_id;
  for (uint32_t i = 0; i < head.num_headers; ++i) {
    if (http::iequals(head.headers[i].name, "x-request-id")) incoming_id = head.headers[i].value;
  }
  if (valid_request_id(incoming_id)) {
    std::memcpy(request_id_buf_, incoming_id.data(), incoming_id.size());
    rs_->ctx.request_id = std::string_view(request_id_buf_, incoming_id.size());
  } else {
    rs_->ctx.request_id = worker_.ids().generate(request_id_buf_);
  }
  rs_->ctx.head = &head;
  rs_->ctx.peer_ip = peer_ip_;
  rs_->ctx.client_ip = peer_ip_;
  if (ssl_ != nullptr) {
    rs_->ctx.tls = true;
    rs_->ctx.client_cert_verified = tls::client_certificate_verified(ssl_);
  }

  req_framing_ = head.framing;
  req_is_head_ = head.method == "HEAD";
  req_idempotent_ = method_is_idempotent(head.method);
  client_http10_ = head.version_minor == 0;
  client_keep_alive_ = head.keep_alive && !close_after_response_;

  rs_->ctx.async.resumer = &worker_;
  rs_->ctx.async.token = (id_ << 20) | (request_seq_ & 0xFFFFF);
  rs_->ctx.async.loop = worker_.base();
  size_t pending = 0;
  pipeline::Verdict v = runtime_->pipeline->on_request_head_from(rs_->ctx, 0, &pending);
  if (v.action == pipeline::Action::kPending) {
    // An asynchronous stage (e.g. a shared rate limit in Redis) answers later: keep a stable
    // copy of the head; body and pipelined bytes wait in the (watermark-bounded) input buffer.
    stash_head(head);
    evbuffer_drain(in, head.head_bytes);
    pending_stage_ = pending;
    phase_ = Phase::kPending;
    return;
  }
  after_head_verdict(head, v, /*head_in_input=*/true);
}

void Connection::stash_head(const http::RequestHead& head) {
  if (rs_->ctx.head == &rs_->held_req) return;
  evbuffer* in = in_;
  rs_->held_head.assign(reinterpret_cast<const char*>(evbuffer_pullup(in, head.head_bytes)),
                        head.head_bytes);
  rs_->held_headers.resize(worker_.header_capacity());
  http::ParseError err;
  http::parse_request(rs_->held_head, runtime_->parse_limits, rs_->held_headers.data(),
                      static_cast<uint32_t>(rs_->held_headers.size()), rs_->held_req, err);
  rs_->ctx.head = &rs_->held_req;
}

void Connection::resume(uint32_t seq, pipeline::Verdict late, std::string_view extra_headers) {
  if (phase_ != Phase::kPending || seq != (request_seq_ & 0xFFFFF)) return;  // stale answer
  if (!extra_headers.empty()) rs_->ctx.add_response_header_line(extra_headers);
  size_t pending = 0;
  pipeline::Verdict v =
      runtime_->pipeline->resume_request_head(rs_->ctx, pending_stage_, late, &pending);
  if (v.action == pipeline::Action::kPending) {
    pending_stage_ = pending;
    return;
  }
  phase_ = Phase::kHead;
  after_head_verdict(rs_->held_req, v, /*head_in_input=*/false);
  if (phase_ == Phase::kIdle || phase_ == Phase::kActive) handle_client_input();
}

void Connection::after_head_verdict(const http::RequestHead& head, pipeline::Verdict v,
                                    bool head_in_input) {
  evbuffer* in = in_;
  const config::Config& cfg = runtime_->config;
  const uint32_t head_bytes = head_in_input ? head.head_bytes : 0;
  bool has_body = head.framing == http::BodyFraming::kChunked ||
                  (head.framing == http::BodyFraming::kContentLength && head.content_length > 0);
  if (rs_->ctx.monitored_block || !v.is_continue()) {
    worker_.blocks().add(rs_->ctx.blocked_by, rs_->ctx.block_reason, v.is_continue());
  }
  if (v.action == pipeline::Action::kClose) {
    rs_->ctx.head = nullptr;
    evbuffer_drain(in, head_bytes);
    complete_request(0);
    close_now();
    return;
  }
  if (v.action == pipeline::Action::kBlock) {
    evbuffer_drain(in, head_bytes);
    rs_->ctx.head = nullptr;
    // The unread body makes the connection unusable for another request: close after answering.
    send_block_page(v, has_body || !client_keep_alive_);
    return;
  }
  if (head.framing == http::BodyFraming::kContentLength &&
      head.content_length > cfg.limits.max_body_bytes) {
    evbuffer_drain(in, head_bytes);
    rs_->ctx.head = nullptr;
    send_local_response(413, "request body too large\n", true);
    return;
  }
  req_upgrade_ = head.upgrade && !has_body;
  bool expect_continue = head.expect_continue && has_body;
  if (head.framing == http::BodyFraming::kContentLength) req_remaining_ = head.content_length;
  req_body_done_ = !has_body;
  if (head.framing == http::BodyFraming::kChunked) {
    req_chunked_ = http::ChunkedDecoder(cfg.limits.max_body_bytes);
  }
  uint64_t want = has_body ? runtime_->pipeline->wants_body(rs_->ctx) : 0;
  phase_ = Phase::kActive;
  if (expect_continue) {
    // We answer 100-continue ourselves once the head passed the stages; Expect is not forwarded.
    evbuffer_add(out_, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  }
  if (want > 0) {
    // A stage inspects the body before anything is forwarded: keep a stable copy of the head
    // (the read buffer is about to move on) and hold up to `want` body bytes.
    holding_ = true;
    hold_limit_ = std::min<uint64_t>(want, cfg.limits.max_body_bytes);
    stash_head(head);
    evbuffer_drain(in, head_bytes);
  } else {
    holding_ = false;
    serialize_head(head);
    evbuffer_drain(in, head_bytes);  // the views in `head` are dead from here on
    rs_->ctx.head = nullptr;
    if (!start_upstream(false)) return;
  }
  if (!req_body_done_) {
    set_client_read_timeout(&cfg.timeouts.body_idle);
    pump_request_body();
  } else {
    request_body_done();
  }
}

void Connection::serialize_head(const http::RequestHead& head, bool override_length,
                                uint64_t length) {
  // Serialize the normalized head once; kept for a possible retry.
  ForwardRequestInfo info;
  info.client_ip = rs_->ctx.client_ip;
  info.request_id = rs_->ctx.request_id;
  info.tls = rs_->ctx.tls;
  info.chunked_body = head.framing == http::BodyFraming::kChunked && !override_length;
  info.has_override_length = override_length;
  info.override_length = length;
  info.upgrade = req_upgrade_;
  info.strip = rs_->ctx.strip_headers.data();
  info.num_strip = rs_->ctx.num_strip_headers;
  serialize_request_head(head, info, rs_->replay_head);
}

// The held body (or its first hold_limit_ bytes) goes to the stages once; then the request is
// forwarded and the rest of the body, if any, streams.
bool Connection::release_held_body(bool complete) {
  size_t n = evbuffer_get_length(rs_->held_body);
  const char* p = reinterpret_cast<const char*>(evbuffer_pullup(rs_->held_body, -1));
  size_t shown = static_cast<size_t>(std::min<uint64_t>(n, hold_limit_));
  pipeline::Verdict v =
      runtime_->pipeline->on_body_chunk(rs_->ctx, std::string_view(p, shown), complete);
  if (rs_->ctx.monitored_block || !v.is_continue()) {
    worker_.blocks().add(rs_->ctx.blocked_by, rs_->ctx.block_reason, v.is_continue());
  }
  if (v.action == pipeline::Action::kClose) {
    close_now();
    return false;
  }
  if (v.action == pipeline::Action::kBlock) {
    rs_->ctx.head = nullptr;
    send_block_page(v, /*close=*/true);
    return false;
  }
  holding_ = false;
  bool chunked = req_framing_ == http::BodyFraming::kChunked;
  // A chunked body read whole is forwarded with the exact length: simpler framing for the origin.
  serialize_head(rs_->held_req, chunked && complete, n);
  rs_->ctx.head = nullptr;
  // Head and held body in one write (writev): one syscall fewer per POST than sending the head
  // on its own first.
  if (!start_upstream(false, /*queue_head=*/true)) return false;
  evbuffer* out = upstream_->out;
  if (chunked && !complete) {
    add_chunk_header(out, n);
    evbuffer_add_buffer(out, rs_->held_body);
    evbuffer_add(out, "\r\n", 2);
  } else {
    evbuffer_add_buffer(out, rs_->held_body);
  }
  flush_upstream();
  if (complete) {
    request_body_done();
    return false;
  }
  return true;
}

bool Connection::start_upstream(bool fresh_only, bool queue_head) {
  const Runtime& rt = *runtime_;
  const sockaddr* addr = reinterpret_cast<const sockaddr*>(&rt.origin_addr);
  uint64_t key = origin_key_of(addr, rt.origin_addr_len);
  // Bodiless idempotent requests are retried on a fresh connection if a pooled one turns out
  // closed, so they skip the per-acquire probe syscall.
  bool retryable = req_idempotent_ && req_body_done_ && !holding_;
  upstream_ = fresh_only ? nullptr : worker_.pool().acquire(key, /*probe=*/!retryable);
  if (upstream_ != nullptr) {
    worker_.metrics().add(worker_.metrics().upstream_reused);
    upstream_->connected = true;
  } else {
    upstream_ =
        worker_.pool().connect(addr, rt.origin_addr_len, key,
                               static_cast<uint32_t>(rt.config.timeouts.upstream_connect.count()));
    if (upstream_ == nullptr) {
      upstream_failed(UpstreamError::kConnectRefused, false);
      return false;
    }
    worker_.metrics().add(worker_.metrics().upstream_connects);
  }
  ++upstream_gen_;
  upstream_->on_read = on_upstream_readable;
  upstream_->on_write = on_upstream_writable;
  upstream_->arg = this;
  upstream_read_paused_ = false;
  // A pooled connection's read event stays armed: only its timer changes (the idle timeout goes;
  // the response timeout starts once the request is complete). A fresh one arms on connect.
  if (upstream_->connected) upstream_arm_read(upstream_, 0);
  if (queue_head) {
    evbuffer_add(upstream_->out, rs_->replay_head.data(), rs_->replay_head.size());
  } else {
    send_bytes(rs_->replay_head.data(), rs_->replay_head.size());
  }
  return true;
}

void Connection::pump_request_body() {
  if (!holding_ && upstream_ == nullptr) return;
  evbuffer* in = in_;
  const uint32_t high = runtime_->config.limits.buffer_bytes;
  if (req_framing_ == http::BodyFraming::kContentLength) {
    size_t avail = evbuffer_get_length(in);
    uint64_t room = req_remaining_;
    if (holding_)
      room = std::min<uint64_t>(room, hold_limit_ - evbuffer_get_length(rs_->held_body));
    size_t n = static_cast<size_t>(std::min<uint64_t>(avail, room));
    if (n > 0) {
      if (holding_) {
        evbuffer_remove_buffer(in, rs_->held_body, n);
      } else {
        send_buffer(in, n);
      }
      req_remaining_ -= n;
      rs_->ctx.request_body_bytes += n;
      worker_.metrics().add(worker_.metrics().bytes_in, n);
    }
    if (holding_ && (req_remaining_ == 0 || evbuffer_get_length(rs_->held_body) >= hold_limit_)) {
      if (!release_held_body(req_remaining_ == 0)) return;
      pump_request_body();  // the rest of a longer body streams from here
      return;
    }
    if (req_remaining_ == 0) {
      request_body_done();
      return;
    }
  } else {
    // Chunked: decode (strictly) and re-chunk; extensions and trailers are not forwarded.
    for (;;) {
      size_t len = evbuffer_get_length(in);
      if (len == 0) break;
      evbuffer_iovec vec;
      if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) break;
      std::string_view seg(static_cast<const char*>(vec.iov_base), vec.iov_len);
      http::ChunkedDecoder::Step step = req_chunked_.feed(seg);
      if (req_chunked_.failed()) {
        const http::ParseError& e = req_chunked_.error();
        rs_->ctx.blocked_by = "http_parser";
        rs_->ctx.block_reason = e.reason;
        if (!response_bytes_sent_) {
          release_upstream(false);
          send_local_response(e.status, "invalid chunked body\n", true);
        } else {
          close_now();
        }
        return;
      }
      if (!step.data.empty()) {
        if (holding_) {
          evbuffer_add(rs_->held_body, step.data.data(), step.data.size());
        } else {
          evbuffer* out = upstream_->out;
          add_chunk_header(out, step.data.size());
          evbuffer_add(out, step.data.data(), step.data.size());
          evbuffer_add(out, "\r\n", 2);
        }
        rs_->ctx.request_body_bytes += step.data.size();
      }
      if (step.consumed > 0) {
        worker_.metrics().add(worker_.metrics().bytes_in, step.consumed);
        evbuffer_drain(in, step.consumed);
      }
      if (holding_ && (req_chunked_.done() || evbuffer_get_length(rs_->held_body) >= hold_limit_)) {
        if (!release_held_body(req_chunked_.done())) return;
        continue;  // not done: keep streaming the rest
      }
      if (req_chunked_.done()) {
        evbuffer_add(upstream_->out, "0\r\n\r\n", 5);
        flush_upstream();
        request_body_done();
        return;
      }
      if (step.consumed == 0) {
        // A size line or CRLF straddles buffer segments: make more of it contiguous, or wait.
        if (seg.size() == len) break;
        evbuffer_pullup(in, static_cast<ev_ssize_t>(std::min<size_t>(len, seg.size() + 4096)));
      }
    }
  }
  if (holding_ || upstream_ == nullptr) return;
  flush_upstream();
  // Backpressure towards a slow origin: stop reading the client until the upstream drains.
  if (evbuffer_get_length(upstream_->out) >= high && !client_read_paused_) {
    pause_client_read();
  }
}

void Connection::request_body_done() {
  req_body_done_ = true;
  // No client read timeout while the origin works; pipelined bytes may still arrive.
  set_client_read_timeout(nullptr);
  if (client_read_paused_) resume_client_read();
  if (upstream_ != nullptr && upstream_->read_armed) {
    upstream_arm_read(upstream_,
                      static_cast<uint32_t>(runtime_->config.timeouts.upstream_response.count()));
  }
}

// ---------------------------------------------------------------- upstream side

void Connection::on_upstream_readable(UpstreamConn* u, short what, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  if (c->phase_ == Phase::kClosed) return;
  if (what & EV_TIMEOUT) {
    c->upstream_gone(false, true);
    return;
  }
  size_t high = c->runtime_ != nullptr ? c->runtime_->config.limits.buffer_bytes : c->read_high_;
  bool got = false;
  UpstreamIo r = upstream_read(u, high, &got);
  bool ended = r == UpstreamIo::kEof || r == UpstreamIo::kError;
  if (ended) u->dead = true;  // never pooled, even if the response completes below
  uint32_t gen = c->upstream_gen_;
  if (got) {
    if (c->phase_ == Phase::kTunnel) {
      c->tunnel_to_client();
    } else {
      c->handle_upstream_input();
    }
  }
  if (c->phase_ == Phase::kClosed || c->upstream_ == nullptr || c->upstream_gen_ != gen) return;
  if (ended) {
    c->upstream_gone(r == UpstreamIo::kError, false);
    return;
  }
  c->update_upstream_read();
}

void Connection::on_upstream_writable(UpstreamConn* u, short what, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  if (c->phase_ == Phase::kClosed) return;
  if (what & EV_TIMEOUT) {
    c->upstream_gone(false, true);
    return;
  }
  if (!u->connected) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      c->upstream_gone(true, false);  // refused or unreachable
      return;
    }
    c->upstream_connected();
  }
  if (!u->write_error) c->flush_upstream();
  if (u->write_error) {
    c->upstream_gone(true, false);
    return;
  }
  // The origin drained below the low watermark: resume reading the client.
  uint32_t low = c->runtime_ != nullptr ? c->runtime_->config.limits.buffer_bytes / 2 : 0;
  if (c->client_read_paused_ && evbuffer_get_length(u->out) <= low) {
    c->resume_client_read();
    c->handle_client_input();
  }
}

void Connection::upstream_connected() {
  UpstreamConn* u = upstream_;
  u->connected = true;
  int one = 1;
  setsockopt(u->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // The response timeout runs once the request is complete; reads stay armed for good.
  uint32_t ms = req_body_done_
                    ? static_cast<uint32_t>(runtime_->config.timeouts.upstream_response.count())
                    : 0;
  upstream_arm_read(u, ms);
}

// Reads stop while the client's output is over the watermark (a stalled client) or the origin's
// input is (bounded memory); the timeout follows the phase.
void Connection::update_upstream_read() {
  UpstreamConn* u = upstream_;
  if (u == nullptr || !u->connected || runtime_ == nullptr) return;
  const auto& cfg = runtime_->config;
  bool want = !upstream_read_paused_ && evbuffer_get_length(u->in) < cfg.limits.buffer_bytes;
  if (!want) {
    upstream_disarm_read(u);
    return;
  }
  if (u->read_armed) return;
  std::chrono::milliseconds ms{0};
  if (phase_ == Phase::kTunnel) {
    ms = cfg.timeouts.keepalive_idle;
  } else if (req_body_done_) {
    ms = cfg.timeouts.upstream_response;
  }
  upstream_arm_read(u, static_cast<uint32_t>(ms.count()));
}

void Connection::pause_upstream_read() {
  upstream_read_paused_ = true;
  if (upstream_ != nullptr) upstream_disarm_read(upstream_);
}

// The origin closed (error false: EOF), failed, or timed out.
void Connection::upstream_gone(bool error, bool timeout) {
  if (phase_ == Phase::kTunnel) {
    tunnel_to_client();
    release_upstream(false);
    close_after_flush();
    return;
  }
  if (timeout) {
    bool connecting = !upstream_->connected;
    upstream_failed(connecting ? UpstreamError::kConnectTimeout : UpstreamError::kResponseTimeout,
                    true);
    return;
  }
  if (!error) {
    // Close-delimited response: the end of the stream is the end of the body.
    if (resp_phase_ == RespPhase::kBody && resp_framing_ == http::BodyFraming::kUntilClose) {
      handle_upstream_input();  // whatever is still buffered
      if (resp_chunk_to_client_) evbuffer_add(out_, "0\r\n\r\n", 5);
      resp_phase_ = RespPhase::kDone;
      resp_keep_alive_ = false;
      finish_exchange();
      return;
    }
    // Anything left in the buffer might complete the response.
    if (evbuffer_get_length(upstream_->in) > 0) handle_upstream_input();
    if (phase_ != Phase::kActive || resp_phase_ == RespPhase::kDone) return;
  }
  bool refused = upstream_ != nullptr && !upstream_->connected;
  upstream_failed(refused ? UpstreamError::kConnectRefused : UpstreamError::kReset, false);
}

void Connection::upstream_failed(UpstreamError kind, bool timeout) {
  worker_.metrics().add(worker_.metrics().upstream_errors[static_cast<int>(kind)]);
  bool nothing_received = resp_phase_ == RespPhase::kAwaitHead && upstream_bytes_seen_ == 0;
  bool was_reused = upstream_ != nullptr && upstream_->reused;
  if (upstream_ != nullptr) {
    worker_.pool().discard(upstream_);
    upstream_ = nullptr;
  }
  // One retry on a fresh connection, for idempotent requests whose body (if any) we no longer
  // need: only bodiless requests are replayable since the body was streamed, not kept.
  if (!timeout && nothing_received && req_idempotent_ && !retried_ && req_body_done_ &&
      rs_->ctx.request_body_bytes == 0 && (was_reused || kind == UpstreamError::kReset)) {
    retried_ = true;
    worker_.metrics().add(worker_.metrics().upstream_retries);
    if (start_upstream(/*fresh_only=*/true)) request_body_done();
    return;
  }
  if (response_bytes_sent_ || resp_phase_ != RespPhase::kAwaitHead) {
    // Part of the response already reached the client: the only honest signal left is a close.
    complete_request(resp_status_);
    close_now();
    return;
  }
  uint16_t status = timeout ? 504 : 502;
  // Not a block: the audit stream reports 502/504 as upstream errors (by status).
  rs_->ctx.block_reason = upstream_error_name(kind);
  send_local_response(status, timeout ? "origin timed out\n" : "origin unavailable\n",
                      !req_body_done_ || !client_keep_alive_);
}

void Connection::handle_upstream_input() {
  if (upstream_ == nullptr) return;
  evbuffer* in = upstream_->in;
  while (phase_ == Phase::kActive && upstream_ != nullptr) {
    if (resp_phase_ == RespPhase::kAwaitHead) {
      if (evbuffer_get_length(in) == 0) return;
      if (!process_response_head()) return;
      continue;
    }
    if (resp_phase_ == RespPhase::kBody) {
      pump_response_body();
      return;
    }
    // kDone: bytes after a complete response mean the origin is out of sync: never reuse it.
    if (evbuffer_get_length(in) > 0) resp_keep_alive_ = false;
    return;
  }
}

bool Connection::process_response_head() {
  evbuffer* in = upstream_->in;
  size_t len = evbuffer_get_length(in);
  upstream_bytes_seen_ += len;
  const http::ParseLimits& limits = runtime_->parse_limits;
  size_t n = std::min<size_t>(len, limits.max_head_bytes);
  const char* p = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ev_ssize_t>(n)));
  http::ResponseHead head;
  http::ParseError err;
  http::ParseStatus st =
      http::parse_response(std::string_view(p, n), limits, req_is_head_, worker_.header_storage(),
                           worker_.header_capacity(), head, err);
  if (st == http::ParseStatus::kIncomplete) return false;
  if (st == http::ParseStatus::kError) {
    PLOG_WARN("origin sent an invalid response head: %.*s", static_cast<int>(err.reason.size()),
              err.reason.data());
    upstream_failed(UpstreamError::kBadResponse, false);
    return false;
  }
  evbuffer* out = out_;
  std::string& scratch = worker_.scratch();
  scratch.clear();
  if (head.status >= 100 && head.status < 200) {
    if (head.status == 101 && req_upgrade_) {
      ForwardResponseInfo info;
      info.request_id = rs_->ctx.request_id;
      serialize_response_head(head, info, scratch);
      evbuffer_drain(in, head.head_bytes);
      evbuffer_add(out, scratch.data(), scratch.size());
      resp_status_ = 101;
      response_bytes_sent_ = true;
      enter_tunnel();
      return false;
    }
    if (head.status == 101) {
      upstream_failed(UpstreamError::kBadResponse, false);  // 101 without an upgrade request
      return false;
    }
    // Interim responses: our own 100 Continue already went out; forward the others (e.g. 103)
    // to HTTP/1.1 clients only (RFC 9110 15.2: not to 1.0 clients).
    if (head.status != 100 && !client_http10_) {
      ForwardResponseInfo info;
      serialize_response_head(head, info, scratch);
      evbuffer_add(out, scratch.data(), scratch.size());
    }
    evbuffer_drain(in, head.head_bytes);
    return true;
  }
  resp_status_ = head.status;
  pipeline::ResponseEdits edits;
  runtime_->pipeline->on_response_head(rs_->ctx, head.status, edits);
  if (edits.replace_5xx_body) {
    // Never let an origin error page (stack traces, versions) reach the client: a neutral page
    // with the request id instead. The origin connection is not reused: its body is unread.
    evbuffer_drain(in, head.head_bytes);
    release_upstream(false);
    char body[160];
    int len = std::snprintf(
        body, sizeof(body), "The server could not complete the request. Request id: %.*s\n",
        static_cast<int>(rs_->ctx.request_id.size()), rs_->ctx.request_id.data());
    send_local_response(head.status, std::string_view(body, static_cast<size_t>(len)),
                        !req_body_done_);
    return false;
  }
  resp_framing_ = head.framing;
  resp_keep_alive_ = head.keep_alive;
  resp_remaining_ = head.framing == http::BodyFraming::kContentLength ? head.content_length : 0;
  if (head.framing == http::BodyFraming::kChunked) resp_chunked_.reset();
  // Re-frame chunked and close-delimited bodies as chunked for HTTP/1.1 clients (keeps their
  // connection alive); HTTP/1.0 clients get a close-delimited body.
  bool variable =
      head.framing == http::BodyFraming::kChunked || head.framing == http::BodyFraming::kUntilClose;
  resp_chunk_to_client_ = variable && !client_http10_;
  if (variable && client_http10_) client_keep_alive_ = false;
  if (!req_body_done_) client_keep_alive_ = false;  // the origin answered before the body ended
  ForwardResponseInfo info;
  info.request_id = rs_->ctx.request_id;
  info.edits = &edits;
  info.chunked_to_client = resp_chunk_to_client_;
  info.close = !client_keep_alive_ || close_after_response_;
  serialize_response_head(head, info, scratch);
  evbuffer_drain(in, head.head_bytes);
  // Head and body leave together: the flush runs after this callback.
  evbuffer_add(out, scratch.data(), scratch.size());
  worker_.metrics().add(worker_.metrics().bytes_out, scratch.size());
  response_bytes_sent_ = true;
  resp_phase_ = RespPhase::kBody;
  if (head.framing == http::BodyFraming::kNone ||
      (head.framing == http::BodyFraming::kContentLength && head.content_length == 0)) {
    resp_phase_ = RespPhase::kDone;
    finish_exchange();
    return false;
  }
  return true;
}

void Connection::pump_response_body() {
  evbuffer* in = upstream_->in;
  evbuffer* out = out_;
  size_t avail = evbuffer_get_length(in);
  switch (resp_framing_) {
    case http::BodyFraming::kContentLength: {
      size_t n = static_cast<size_t>(std::min<uint64_t>(avail, resp_remaining_));
      evbuffer_remove_buffer(in, out, n);
      resp_remaining_ -= n;
      rs_->ctx.response_body_bytes += n;
      worker_.metrics().add(worker_.metrics().bytes_out, n);
      if (resp_remaining_ == 0) {
        if (evbuffer_get_length(in) > 0) resp_keep_alive_ = false;
        resp_phase_ = RespPhase::kDone;
        finish_exchange();
        return;
      }
      break;
    }
    case http::BodyFraming::kUntilClose:
      if (avail > 0) {
        if (resp_chunk_to_client_) add_chunk_header(out, avail);
        evbuffer_remove_buffer(in, out, avail);
        if (resp_chunk_to_client_) evbuffer_add(out, "\r\n", 2);
        rs_->ctx.response_body_bytes += avail;
        worker_.metrics().add(worker_.metrics().bytes_out, avail);
      }
      break;
    case http::BodyFraming::kChunked:
      for (;;) {
        size_t len = evbuffer_get_length(in);
        if (len == 0) break;
        evbuffer_iovec vec;
        if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) break;
        std::string_view seg(static_cast<const char*>(vec.iov_base), vec.iov_len);
        http::ChunkedDecoder::Step step = resp_chunked_.feed(seg);
        if (resp_chunked_.failed()) {
          PLOG_WARN("origin sent an invalid chunked body");
          upstream_failed(UpstreamError::kBadResponse, false);
          return;
        }
        if (!step.data.empty()) {
          if (resp_chunk_to_client_) add_chunk_header(out, step.data.size());
          evbuffer_add(out, step.data.data(), step.data.size());
          if (resp_chunk_to_client_) evbuffer_add(out, "\r\n", 2);
          rs_->ctx.response_body_bytes += step.data.size();
          worker_.metrics().add(worker_.metrics().bytes_out, step.data.size());
        }
        if (step.consumed > 0) evbuffer_drain(in, step.consumed);
        if (resp_chunked_.done()) {
          if (resp_chunk_to_client_) evbuffer_add(out, "0\r\n\r\n", 5);
          if (evbuffer_get_length(in) > 0) resp_keep_alive_ = false;
          resp_phase_ = RespPhase::kDone;
          finish_exchange();
          return;
        }
        if (step.consumed == 0) {
          if (seg.size() == len) break;
          evbuffer_pullup(in, static_cast<ev_ssize_t>(std::min<size_t>(len, seg.size() + 4096)));
        }
      }
      break;
    case http::BodyFraming::kNone:
      break;
  }
  // Backpressure towards a slow client: stop reading the origin until the client drains.
  if (evbuffer_get_length(out) >= runtime_->config.limits.buffer_bytes && !upstream_read_paused_) {
    pause_upstream_read();
  }
}

void Connection::release_upstream(bool reusable) {
  if (upstream_ == nullptr) return;
  if (reusable) {
    worker_.pool().release(upstream_);
  } else {
    worker_.pool().discard(upstream_);
  }
  upstream_ = nullptr;
}

void Connection::finish_exchange() {
  bool reusable = resp_keep_alive_ && req_body_done_ && !req_upgrade_ && !retried_;
  release_upstream(reusable || (resp_keep_alive_ && req_body_done_ && retried_));
  complete_request(resp_status_);
  if (!req_body_done_ || !client_keep_alive_ || close_after_response_) {
    close_after_flush();
    return;
  }
  phase_ = Phase::kIdle;
  release_request_state();
  worker_.release_runtime(runtime_);
  runtime_ = nullptr;
  const Runtime* rt = worker_.acquire_runtime();
  arm_timer(rt->config.timeouts.keepalive_idle);
  worker_.release_runtime(rt);
  // A pipelined request may already be waiting.
  if (evbuffer_get_length(in_) > 0) handle_client_input();
}

void Connection::complete_request(uint16_t status) {
  if (completed_) return;  // exactly once per exchange, also on error paths
  completed_ = true;
  rs_->ctx.response_status = status;
  auto now = std::chrono::steady_clock::now();
  uint64_t us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now - rs_->ctx.start).count());
  worker_.metrics().observe_request(status, us);
  if (runtime_ != nullptr) runtime_->pipeline->on_complete(rs_->ctx);
}

// The page a stage's Block verdict answers with: short, with the reason and the request id (so
// a user can quote it and an operator can find the audit event).
void Connection::send_block_page(const pipeline::Verdict& v, bool close) {
  char body[160];
  int len = std::snprintf(body, sizeof(body), "Request blocked (%.*s). Request id: %.*s\n",
                          static_cast<int>(v.reason.size()), v.reason.data(),
                          static_cast<int>(rs_->ctx.request_id.size()), rs_->ctx.request_id.data());
  send_local_response(v.status, std::string_view(body, static_cast<size_t>(len)), close);
}

void Connection::send_local_response(uint16_t status, std::string_view body, bool close) {
  release_upstream(false);
  std::string& scratch = worker_.scratch();
  scratch.clear();
  bool will_close = close || close_after_response_ || !client_keep_alive_;
  serialize_local_response(status, req_is_head_ ? std::string_view() : body, rs_->ctx.request_id,
                           will_close, scratch, rs_->ctx.response_headers());
  evbuffer_add(out_, scratch.data(), scratch.size());
  worker_.metrics().add(worker_.metrics().bytes_out, scratch.size());
  complete_request(status);
  if (will_close) {
    close_after_flush();
    return;
  }
  phase_ = Phase::kIdle;
  release_request_state();
  if (runtime_ != nullptr) {
    arm_timer(runtime_->config.timeouts.keepalive_idle);
    worker_.release_runtime(runtime_);
    runtime_ = nullptr;
  }
}

// ---------------------------------------------------------------- tunnel (Upgrade)

void Connection::enter_tunnel() {
  phase_ = Phase::kTunnel;
  complete_request(101);
  // Tunnels are long-lived: no response timeout, but still bounded by idle read timeouts.
  if (upstream_->read_armed) {
    upstream_arm_read(upstream_,
                      static_cast<uint32_t>(runtime_->config.timeouts.keepalive_idle.count()));
  }
  set_client_read_timeout(&runtime_->config.timeouts.keepalive_idle);
  write_timeout_ = std::chrono::milliseconds(0);
  if (client_read_paused_) resume_client_read();
  tunnel_to_client();
  if (upstream_ != nullptr) tunnel_to_upstream();
}

void Connection::tunnel_to_upstream() {
  evbuffer* out = upstream_->out;
  size_t n = evbuffer_get_length(in_);
  if (n > 0) {
    evbuffer_remove_buffer(in_, out, n);
    flush_upstream();
  }
  if (evbuffer_get_length(out) >= runtime_->config.limits.buffer_bytes && !client_read_paused_) {
    pause_client_read();
  }
}

void Connection::tunnel_to_client() {
  evbuffer* in = upstream_->in;
  size_t n = evbuffer_get_length(in);
  if (n > 0) evbuffer_remove_buffer(in, out_, n);
  if (evbuffer_get_length(out_) >= runtime_->config.limits.buffer_bytes && !upstream_read_paused_) {
    pause_upstream_read();
  }
}

// ---------------------------------------------------------------- lifetime

void Connection::on_timer(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  if (c->phase_ == Phase::kHead) {
    // Slowloris: the head did not arrive in time.
    c->rs_->ctx.blocked_by = "http_parser";
    c->rs_->ctx.block_reason = "request_head_timeout";
    c->send_local_response(408, "request head timeout\n", true);
    return;
  }
  c->close_now();
}

void Connection::close_after_flush() {
  phase_ = Phase::kClosing;
  evtimer_del(timer_);
  release_upstream(false);
  if (evbuffer_get_length(out_) == 0) {
    close_now();
    return;
  }
  // output_drained() closes once everything is flushed; stop reading new requests. Bounded by
  // the client write timeout.
  write_low_ = 0;
  update_read_interest();
}

void Connection::close_now() {
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kActive && resp_phase_ != RespPhase::kDone && runtime_ != nullptr) {
    complete_request(resp_status_);  // aborted exchange: still logged
  }
  phase_ = Phase::kClosed;
  evtimer_del(timer_);
  release_upstream(false);
  event_del(read_ev_);
  event_del(write_ev_);
  read_armed_ = write_blocked_ = flush_scheduled_ = false;
  io_.shutdown();
  worker_.destroy_connection(this);
}

}  // namespace portcullis::server
