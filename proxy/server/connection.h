// Connection: the downstream state machine. It owns the client bufferevent, the upstream
// connection while a request is in flight, and the per-request state; the Worker owns it.
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
#include <event2/bufferevent.h>
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

  static void on_client_read(bufferevent* bev, void* arg);
  static void on_client_write(bufferevent* bev, void* arg);
  static void on_client_event(bufferevent* bev, short what, void* arg);
  static void on_upstream_read(bufferevent* bev, void* arg);
  static void on_upstream_write(bufferevent* bev, void* arg);
  static void on_upstream_event(bufferevent* bev, short what, void* arg);
  static void on_timer(evutil_socket_t fd, short what, void* arg);

  void handle_client_input();
  // Returns false when the connection was closed or the request went async.
  bool try_parse_head();
  void process_head(const http::RequestHead& head);
  void after_head_verdict(const http::RequestHead& head, pipeline::Verdict v, bool head_in_input);
  void stash_head(const http::RequestHead& head);
  bool start_upstream(bool fresh_only);
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
  void pump_tunnel(bufferevent* from, bufferevent* to);
  void release_upstream(bool reusable);
  void arm_timer(std::chrono::milliseconds ms);
  bool direct_ok(bufferevent* bev) const;
  void send_bytes(bufferevent* bev, const char* data, size_t len);
  void send_buffer(bufferevent* bev, evbuffer* src, size_t len);
  void close_after_flush();
  void close_now();
  void reset_request_state();
  void release_request_state();

  Worker& worker_;
  const uint64_t id_;
  uint32_t request_seq_ = 0;
  size_t pending_stage_ = 0;
  bufferevent* client_ = nullptr;
  SSL* ssl_ = nullptr;         // owned by client_ (BEV_OPT_CLOSE_ON_FREE frees it)
  bool seen_request_ = false;  // for counting TLS handshake failures
  event* timer_ = nullptr;
  UpstreamConn* upstream_ = nullptr;
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
  size_t head_scanned_ = 0;
  size_t resp_head_prefix_ = 0;  // our response head, prepended to the upstream input  // input
                                 // bytes seen by the last incomplete parse
};

}  // namespace portcullis::server
