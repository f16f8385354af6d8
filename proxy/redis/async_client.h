// AsyncClient: one Redis connection on one worker's libevent loop. The transport is ours (a
// libevent bufferevent over the socket, or an OpenSSL bufferevent for rediss://); hiredis only
// speaks the protocol (redisReader parses the replies; commands are RESP-encoded by resp.h).
// Commands are pipelined: send() appends to the bufferevent's output buffer and returns at once,
// so every command issued in one loop turn leaves in one write; replies come back in order on the
// loop. It never blocks the loop: connecting, the TLS handshake, AUTH, SELECT and SCRIPT LOAD all
// run asynchronously; ready() turns true when that handshake has answered. While disconnected
// (between retries) send() refuses, so the caller applies its failure policy at once.
//
// Failure handling (the request path must never hang on Redis):
//   - a lost connection fails every pending command (handlers get nullptr) and reconnects with
//     exponential back-off (reconnect_min .. reconnect_max);
//   - a handshake (TCP, TLS, AUTH, scripts) that does not finish within handshake_timeout is
//     dropped and retried (a stopped server still accepts TCP into its backlog);
//   - callers time their own commands; note_timeout() after `timeouts_to_reconnect` consecutive
//     misses drops the connection (a wedged server) so the pending commands fail fast;
//   - at most max_in_flight commands are pending; beyond that send() refuses.
// Commands sent while connecting are queued behind the handshake (in the output buffer).
// Every up/down transition is logged once and counted in ClientStats; a TLS failure (wrong CA,
// wrong name) is logged with OpenSSL's reason and handled like any other connection failure.
//
// Thread-safety: none. Create, use and destroy a client on its loop's thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/redis/endpoint.h"
#include "proxy/redis/tls_context.h"

struct event_base;
struct event;
struct bufferevent;
struct redisReader;
struct redisReply;

namespace portcullis::redis {

// Counters over every client of the process (all worker loops), for /metrics.
struct ClientStats {
  std::atomic<uint64_t> commands{0};          // accepted by send()
  std::atomic<uint64_t> replies{0};           // non-error replies
  std::atomic<uint64_t> errors{0};            // error replies and failed commands
  std::atomic<uint64_t> timeouts{0};          // note_timeout() calls
  std::atomic<uint64_t> refused{0};           // send() while not ready or too many in flight
  std::atomic<uint64_t> up_transitions{0};    // a loop's connection became ready
  std::atomic<uint64_t> down_transitions{0};  // a ready connection was lost or dropped
  std::atomic<int64_t> ready_clients{0};      // loops with a ready connection now
};

class ReplyHandler {
 public:
  virtual ~ReplyHandler() = default;
  // Exactly once per command accepted by send(), on the loop's thread. reply == nullptr: the
  // command failed (connection lost, dropped, or the client was destroyed). The handler may
  // delete itself here; it must not destroy the client.
  virtual void on_reply(const redisReply* reply) = 0;
};

struct ClientOptions {
  std::vector<std::string> scripts;  // SCRIPT LOAD-ed on every (re)connect, before ready()
  std::chrono::milliseconds handshake_timeout{1000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{2000};
  size_t max_in_flight = 20000;
  uint32_t timeouts_to_reconnect = 3;
  std::string log_name = "redis";  // prefix of log lines
  // rediss:// endpoints: the context from make_tls_context(endpoint.tls_options). Null: the client
  // builds its own (a failure is logged and every connection attempt fails).
  TlsContext tls_context;
};

class AsyncClient {
 public:
  // Starts connecting at once. `stats` must outlive the client (may be shared by many clients).
  AsyncClient(event_base* base, Endpoint endpoint, ClientOptions options, ClientStats* stats);
  ~AsyncClient();  // fails pending commands (their handlers get nullptr)
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  bool ready() const { return state_ == State::kReady; }
  bool connecting() const { return state_ == State::kConnecting; }
  // Queues one command (pipelined). false: disconnected or too many in flight; nothing was sent
  // and the handler will not be called.
  bool send(int argc, const char** argv, const size_t* argvlen, ReplyHandler* handler);
  // The same for a command already RESP-encoded (resp.h) in `parts`, concatenated in order.
  bool send_encoded(const std::string_view* parts, size_t num_parts, ReplyHandler* handler);
  // A caller's deadline for a command passed without a reply.
  void note_timeout();

  const Endpoint& endpoint() const { return endpoint_; }
  event_base* base() const { return base_; }
  size_t in_flight() const { return in_flight_; }

 private:
  enum class State : uint8_t { kDown, kConnecting, kReady };
  static void on_read(bufferevent* bev, void* arg);
  static void on_event(bufferevent* bev, short what, void* arg);
  static void on_reconnect_timer(int fd, short what, void* arg);
  static void on_handshake_timer(int fd, short what, void* arg);
  static void on_drop_timer(int fd, short what, void* arg);

  void connect();
  bool queue(std::initializer_list<std::string_view> args, ReplyHandler* handler);
  void handshake_reply(const redisReply* reply);
  void lose(const char* why);     // connection gone: close, fail pending, retry later
  void go_down(const char* why);  // logs + counts a transition when we were ready
  void close_transport();         // frees the bufferevent and the reader; fails pending
  void schedule_drop(const char* why);
  void drop_now();
  void schedule_reconnect();

  event_base* base_;
  Endpoint endpoint_;
  ClientOptions options_;
  ClientStats* stats_;
  bufferevent* bev_ = nullptr;
  redisReader* reader_ = nullptr;
  // One entry per command written and not yet answered, in order; nullptr = a handshake step.
  std::deque<ReplyHandler*> pending_;
  std::string scratch_;  // encoding buffer, reused
  State state_ = State::kDown;
  size_t in_flight_ = 0;
  uint32_t handshake_pending_ = 0;
  uint32_t consecutive_timeouts_ = 0;
  std::chrono::milliseconds backoff_{0};
  bool destroying_ = false;
  bool logged_down_ = false;  // one "unreachable" line per outage, not one per retry
  const char* drop_reason_ = "";
  event* reconnect_timer_ = nullptr;
  event* handshake_timer_ = nullptr;
  event* drop_timer_ = nullptr;
};

// Lowercase hex SHA-1 of a script body: the name EVALSHA uses for it.
std::string script_sha1(std::string_view script);

// The calling thread's client for (base, endpoint), created on first use and replaced when the
// endpoint changes (config reload). Lives until the thread exits (worker threads: after their
// loop returned, while the loop still exists) or close_thread_clients() is called.
AsyncClient* thread_client(event_base* base, const Endpoint& endpoint, const ClientOptions& options,
                           ClientStats* stats);
void close_thread_clients();

// One operator log line "redis: ..." to stderr in the proxy's log format (proxy/server/log.h is
// in proxy_server, which depends on this library).
void log_line(const char* level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace portcullis::redis
