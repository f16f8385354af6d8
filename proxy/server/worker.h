// Worker: one thread, one libevent base, its own SO_REUSEPORT listeners and its own upstream pool.
// Nothing is shared with other workers on the request path except the immutable Runtime snapshot
// (and the low-rate block counters).
#pragma once

#include <event2/event.h>
#include <event2/listener.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proxy/http/request_parser.h"
#include "proxy/pipeline/request_context.h"
#include "proxy/server/metrics.h"
#include "proxy/server/request_id.h"
#include "proxy/server/runtime.h"
#include "proxy/server/upstream_pool.h"

namespace portcullis::audit {
class Auditor;
}  // namespace portcullis::audit

namespace portcullis::server {

class Connection;
struct RequestState;
class Server;

class Worker final : public pipeline::Resumer {
 public:
  Worker(int index, Server& server, std::vector<int> listen_fds);
  ~Worker() override;
  // pipeline::Resumer: a late verdict for the request identified by token (worker thread only).
  void resume(uint64_t token, pipeline::Verdict verdict, std::string_view extra_headers) override;

  void start();
  void join();
  // Thread-safe notifications from the main thread.
  void notify_reload();
  void notify_drain();
  void notify_stop();

  const WorkerMetrics& metrics() const { return metrics_; }

  // --- worker-thread only ---
  int index() const { return index_; }
  event_base* base() { return base_; }
  WorkerMetrics& metrics() { return metrics_; }
  BlockCounters& blocks();
  portcullis::audit::Auditor* auditor();  // null without audit sinks
  UpstreamPool& pool() { return *pool_; }
  RequestIdGenerator& ids() { return ids_; }
  bool draining() const { return draining_; }

  // Runtime snapshots with worker-local reference counts (no shared atomic refcount per request).
  const Runtime* acquire_runtime();
  void release_runtime(const Runtime* rt);

  // Scratch space reused by every request on this worker (requests are handled one callback at a
  // time, so a single set suffices; nothing in it survives a callback).
  std::string& scratch() { return scratch_; }
  http::Header* header_storage() { return headers_.data(); }
  uint32_t header_capacity() const { return static_cast<uint32_t>(headers_.size()); }

  // Per-request state pool: no allocation per request in steady state, none held while idle.
  RequestState* acquire_request_state();
  void release_request_state(RequestState* rs);

  // Connection lifetime: the worker owns connections; destruction is deferred to a safe point
  // outside libevent callbacks of that connection.
  void destroy_connection(Connection* c);

 private:
  static void on_accept(evconnlistener* l, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  struct ListenerTag {
    Worker* worker;
    size_t index;  // into Config::listeners / Runtime::listener_tls
  };
  std::vector<std::unique_ptr<ListenerTag>> tags_;
  static void on_accept_error(evconnlistener* l, void* arg);
  static void on_reap(evutil_socket_t, short, void* arg);
  static void on_reload(evutil_socket_t, short, void* arg);
  static void on_drain(evutil_socket_t, short, void* arg);
  static void on_stop(evutil_socket_t, short, void* arg);
  static void on_grace_expired(evutil_socket_t, short, void* arg);
  void run();
  void maybe_finish_drain();
  void adopt_current_runtime();

  int index_;
  Server& server_;
  std::vector<int> listen_fds_;
  event_base* base_ = nullptr;
  std::vector<evconnlistener*> listeners_;
  std::unique_ptr<UpstreamPool> pool_;
  WorkerMetrics metrics_;
  RequestIdGenerator ids_;
  std::thread thread_;
  event* reap_ev_ = nullptr;
  event* reload_ev_ = nullptr;
  event* drain_ev_ = nullptr;
  event* stop_ev_ = nullptr;
  event* grace_ev_ = nullptr;
  bool draining_ = false;
  std::unordered_map<uint64_t, Connection*> connections_;  // by connection id
  uint64_t next_connection_id_ = 1;
  std::vector<Connection*> to_destroy_;
  std::vector<std::unique_ptr<RequestState>> free_states_;
  struct Snapshot {
    std::shared_ptr<const Runtime> rt;
    uint32_t users = 0;
  };
  std::vector<Snapshot> snapshots_;  // back() is current
  std::string scratch_;
  std::vector<http::Header> headers_;
};

}  // namespace portcullis::server
