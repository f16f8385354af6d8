// Connection: the downstream state machine. It owns the client transport (socket, TLS session,
// input and output buffers and their two events), the upstream connection while a request is in
// flight, and the per-request state; the Worker owns it.
//
// Client I/O is done here, not by a bufferevent: read(2)/SSL_read straight into the input buffer
// the parser reads, and one writev(2)/SSL_write per flush of everything queued for the client
// (flushes are deferred to the end of the current callback, so a head and its body leave
// together). EPOLLOUT is armed only when the socket would block.
//
// Phases of one exchange (requests on a connection are answered strictly in order; bytes of a
// pipelined next request wait in the input buffer until the current response is complete):
//   kIdle     keep-alive wait for the first byte of a head      (keepalive_idle timer)
//   kHead     head bytes arriving, parsed on every read         (request_head timer: slowloris)
//   kActive   request forwarded; body streaming up and/or response streaming down
//   kTunnel   after 101 Switching Protocols: bytes copied both ways
//   kClosing  flushing the last response, then close
#pragma once

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "proxy/http/chunked_decoder.h"
#include "proxy/http/request_parser.h"
#include "proxy/http/response_parser.h"
#include "proxy/pipeline/request_context.h"
#include "proxy/server/metrics.h"
#include "proxy/server/upstream_pool.h"
#include "proxy/tls/transport.h"

namespace portcullis::server {

class Worker;
struct Runtime;

// Per-request state, pooled per worker: an idle keep-alive connection holds none of it.
struct RequestState {
  RequestState() : held_body(evbuffer_new()) {}
  ~RequestState() { evbuffer_free(held_body); }
  RequestState(const RequestState&) = delete;
  RequestState& operator=(const RequestState&) = delete;

  pipeline::RequestContext ctx;
  std::string replay_head;                 // the serialized head, kept for one idempotent retry
  std::string held_head;                   // stable copy of the raw head (held or pending requests)
  std::vector<http::Header> held_headers;  // views into held_head
  http::RequestHead held_req;
  evbuffer* held_body;  // body held for inspecting stages
};

class Connection {
 public:
  // ssl: a fresh server SSL object for TLS listeners (the connection takes ownership), or null.
  Connection(Worker& worker, uint64_t id, evutil_socket_t fd, const sockaddr* peer, int peer_len,
             SSL* ssl);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  // SIGTERM: an idle connection closes now; a busy one after its current response.
  void begin_drain();
  bool idle() const { return phase_ == Phase::kIdle; }
  uint64_t id() const { return id_; }
  // The late verdict of an asynchronous stage (see pipeline::Resumer); stale answers are ignored.
  void resume(uint32_t seq, pipeline::Verdict late, std::string_view extra_headers);

 private:
  enum class Phase : uint8_t { kIdle, kHead, kPending, kActive, kTunnel, kClosing, kClosed };
  enum class RespPhase : uint8_t { kAwaitHead, kBody, kDone };

  static void on_client_readable(evutil_socket_t fd, short what, void* arg);
  static void on_client_writable(evutil_socket_t fd, short what, void* arg);
  static void on_output_changed(evbuffer* buf, const evbuffer_cb_info* info, void* arg);
  static void on_input_changed(evbuffer* buf, const evbuffer_cb_info* info, void* arg);
  static void on_upstream_readable(UpstreamConn* u, short what, void* arg);
  static void on_upstream_writable(UpstreamConn* u, short what, void* arg);
  static void on_timer(evutil_socket_t fd, short what, void* arg);

  // Client transport.
  void do_handshake();
  void handshake_failed();
  void read_client();
  void flush_client();
  void schedule_flush();
  void output_drained();
  void client_gone(bool error);
  void read_timed_out();
  void update_read_interest();
  void set_client_read_timeout(const std::chrono::milliseconds* ms);
  void pause_client_read();
  void resume_client_read();

  void handle_client_input();
  // Returns false when the connection was closed or the request went async.
  bool try_parse_head();
  void process_head(const http::RequestHead& head);
  void after_head_verdict(const http::RequestHead& head, pipeline::Verdict v, bool head_in_input);
  void stash_head(const http::RequestHead& head);
  // Takes a pooled or new origin connection and sends the request head; with `queue_head` the
  // head is only queued, so the caller's body leaves with it in one write.
  bool start_upstream(bool fresh_only, bool queue_head = false);
  void serialize_head(const http::RequestHead& head, bool override_length = false,
                      uint64_t length = 0);
  bool release_held_body(bool complete);
  void pump_request_body();
  void request_body_done();
  void handle_upstream_input();
  bool process_response_head();
  void pump_response_body();
  void finish_exchange();
  void upstream_failed(UpstreamError kind, bool timeout);
  void send_local_response(uint16_t status, std::string_view body, bool close);
  void send_block_page(const pipeline::Verdict& v, bool close);
  void complete_request(uint16_t status);
  void enter_tunnel();
  void tunnel_to_upstream();
  void tunnel_to_client();
  void release_upstream(bool reusable);
  void arm_timer(std::chrono::milliseconds ms);
  // Upstream writes: straight to the socket when nothing is queued.
  void send_bytes(const char* data, size_t len);
  void send_buffer(evbuffer* src, size_t len);
  void flush_upstream();
  void upstream_connected();
  void upstream_gone(bool error, bool timeout);
  void update_upstream_read();
  void pause_upstream_read();
  void close_after_flush();
  void close_now();
  void reset_request_state();
  void release_request_state();

  Worker& worker_;
  const uint64_t id_;
  uint32_t request_seq_ = 0;
  size_t pending_stage_ = 0;
  tls::Transport io_;          // socket + TLS session (closed and freed with the connection)
  SSL* ssl_ = nullptr;         // io_.ssl(), null for plaintext
  evbuffer* in_ = nullptr;     // bytes read from the client, consumed by the parser
  evbuffer* out_ = nullptr;    // bytes for the client, flushed at the end of the callback
  event* read_ev_ = nullptr;   // EV_READ|EV_PERSIST; its timeout is the client read timeout
  event* write_ev_ = nullptr;  // EV_WRITE: armed only while the socket would block; also
                               // activated by hand to run a deferred flush
  uint32_t read_high_ = 0;     // input high watermark: stop reading above it (backpressure)
  uint32_t write_low_ = 0;     // output low watermark: output_drained() at or below it
  std::chrono::milliseconds read_timeout_{0};  // 0: none
  std::chrono::milliseconds write_timeout_{0};
  size_t tls_retry_len_ = 0;  // an SSL_write that must be retried with these bytes
  bool handshaking_ = false;
  bool read_armed_ = false;        // read_ev_ is added
  bool input_full_ = false;        // reading stopped at the high watermark
  bool read_drained_ = true;       // the last read ended on an empty socket (not the watermark)
  bool write_blocked_ = false;     // write_ev_ is added, waiting for EPOLLOUT
  bool flush_scheduled_ = false;   // write_ev_ activated by hand
  bool read_wants_write_ = false;  // TLS: SSL_read needs the socket writable
  bool write_wants_read_ = false;  // TLS: SSL_write needs the socket readable
  event* timer_ = nullptr;
  UpstreamConn* upstream_ = nullptr;
  uint32_t upstream_gen_ = 0;         // bumped whenever upstream_ changes (stale callback frames)
  const Runtime* runtime_ = nullptr;  // held from head start to exchange end
  Phase phase_ = Phase::kIdle;
  RespPhase resp_phase_ = RespPhase::kAwaitHead;

  char peer_ip_[46] = {};
  char request_id_buf_[72] = {};
  RequestState* rs_ = nullptr;  // only while a request is in flight (pooled by the worker)

  // Request side.
  http::BodyFraming req_framing_ = http::BodyFraming::kNone;
  uint64_t req_remaining_ = 0;
  http::ChunkedDecoder req_chunked_;
  bool req_body_done_ = true;
  bool req_is_head_ = false;
  bool req_idempotent_ = false;
  bool req_upgrade_ = false;
  bool client_http10_ = false;
  bool client_keep_alive_ = true;
  bool close_after_response_ = false;
  bool retried_ = false;
  bool completed_ = true;  // no exchange in progress
  bool client_read_paused_ = false;
  // Body held for stages that inspect it before forwarding (storage in rs_).
  bool holding_ = false;
  uint64_t hold_limit_ = 0;

  // Response side.
  http::BodyFraming resp_framing_ = http::BodyFraming::kNone;
  uint64_t resp_remaining_ = 0;
  http::ChunkedDecoder resp_chunked_;
  bool resp_chunk_to_client_ = false;  // proxy re-frames the body as chunked
  bool resp_keep_alive_ = true;
  bool upstream_read_paused_ = false;
  bool response_bytes_sent_ = false;
  uint16_t resp_status_ = 0;
  uint64_t upstream_bytes_seen_ = 0;
  size_t head_scanned_ = 0;  // input bytes seen by the last incomplete parse
};

}  // namespace portcullis::server
