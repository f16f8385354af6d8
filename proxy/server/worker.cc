#include "proxy/server/worker.h"

#include <event2/thread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "proxy/server/connection.h"
#include "proxy/server/log.h"
#include "proxy/server/server.h"

namespace portcullis::server {

Worker::Worker(int index, Server& server, std::vector<int> listen_fds)
    : index_(index), server_(server), listen_fds_(std::move(listen_fds)) {
  base_ = event_base_new();
  snapshots_.push_back({server_.current_runtime(), 0});
  const config::Config& cfg = snapshots_.back().rt->config;
  headers_.resize(cfg.limits.max_headers + 1);
  scratch_.reserve(4096);
  pool_ =
      std::make_unique<UpstreamPool>(base_, cfg.upstream.max_idle_per_worker,
                                     static_cast<uint32_t>(cfg.timeouts.keepalive_idle.count()));
  for (size_t i = 0; i < listen_fds_.size(); ++i) {
    tags_.push_back(std::make_unique<ListenerTag>(ListenerTag{this, i}));
    evconnlistener* l = evconnlistener_new(base_, on_accept, tags_.back().get(),
                                           LEV_OPT_CLOSE_ON_FREE, -1, listen_fds_[i]);
    evconnlistener_set_error_cb(l, on_accept_error);
    listeners_.push_back(l);
  }
  reap_ev_ = event_new(base_, -1, 0, on_reap, this);
  reload_ev_ = event_new(base_, -1, 0, on_reload, this);
  drain_ev_ = event_new(base_, -1, 0, on_drain, this);
  stop_ev_ = event_new(base_, -1, 0, on_stop, this);
  grace_ev_ = evtimer_new(base_, on_grace_expired, this);
}

Worker::~Worker() {
  for (auto& [id, c] : connections_) delete c;
  for (Connection* c : to_destroy_) delete c;
  for (evconnlistener* l : listeners_) evconnlistener_free(l);
  pool_.reset();
  for (event* e : {reap_ev_, reload_ev_, drain_ev_, stop_ev_, grace_ev_}) event_free(e);
  event_base_free(base_);
}

BlockCounters& Worker::blocks() { return server_.blocks(); }
portcullis::audit::Auditor* Worker::auditor() { return server_.auditor(); }

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}
void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

// event_active from another thread is safe once evthread_use_pthreads() ran (Server does it).
void Worker::notify_reload() { event_active(reload_ev_, 0, 0); }
void Worker::notify_drain() { event_active(drain_ev_, 0, 0); }
void Worker::notify_stop() { event_active(stop_ev_, 0, 0); }

void Worker::run() {
  event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
  // Loop ended (drained or stopped): free what is left on this thread.
  for (auto& [id, c] : connections_) delete c;
  connections_.clear();
  for (Connection* c : to_destroy_) delete c;
  to_destroy_.clear();
  pool_->clear();
}

const Runtime* Worker::acquire_runtime() {
  Snapshot& s = snapshots_.back();
  ++s.users;
  return s.rt.get();
}

void Worker::release_runtime(const Runtime* rt) {
  for (size_t i = 0; i < snapshots_.size(); ++i) {
    if (snapshots_[i].rt.get() != rt) continue;
    --snapshots_[i].users;
    // An old snapshot nobody uses any more is freed here, on the worker that held it.
    if (snapshots_[i].users == 0 && i + 1 != snapshots_.size()) {
      snapshots_.erase(snapshots_.begin() + static_cast<long>(i));
    }
    return;
  }
}

void Worker::adopt_current_runtime() {
  std::shared_ptr<const Runtime> rt = server_.current_runtime();
  if (rt.get() == snapshots_.back().rt.get()) return;
  if (snapshots_.back().users == 0) snapshots_.pop_back();
  snapshots_.push_back({std::move(rt), 0});
}

void Worker::resume(uint64_t token, pipeline::Verdict verdict, std::string_view extra_headers) {
  auto it = connections_.find(token >> 20);
  if (it == connections_.end()) return;  // the client went away meanwhile
  it->second->resume(static_cast<uint32_t>(token & 0xFFFFF), verdict, extra_headers);
}

void Worker::on_reload(evutil_socket_t, short, void* arg) {
  static_cast<Worker*>(arg)->adopt_current_runtime();
}

void Worker::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int len, void* arg) {
  auto* tag = static_cast<ListenerTag*>(arg);
  auto* w = tag->worker;
  const Runtime* rt = w->snapshots_.back().rt.get();
  if (w->draining_ || w->connections_.size() >= rt->config.limits.max_connections_per_worker) {
    // Over the limit: answer politely and close, never queue unbounded state.
    w->metrics_.add(w->metrics_.connections_rejected);
    static const char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    (void)!send(fd, kBusy, sizeof(kBusy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    evutil_closesocket(fd);
    return;
  }
  SSL* ssl = nullptr;
  if (tag->index < rt->listener_tls.size() && rt->listener_tls[tag->index] != nullptr) {
    ssl = rt->listener_tls[tag->index]->new_ssl();
    if (ssl == nullptr) {
      evutil_closesocket(fd);
      return;
    }
  }
  uint64_t id = w->next_connection_id_++;
  auto* c = new Connection(*w, id, fd, addr, len, ssl);
  w->connections_.emplace(id, c);
  w->metrics_.add(w->metrics_.connections_total);
  w->metrics_.open_connections.store(static_cast<int64_t>(w->connections_.size()),
                                     std::memory_order_relaxed);
  c->start();
}

void Worker::on_accept_error(evconnlistener*, void*) {
  // EMFILE/ENFILE and friends: log and keep serving existing connections.
  PLOG_WARN("accept failed: %s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

RequestState* Worker::acquire_request_state() {
  if (free_states_.empty()) return new RequestState();
  RequestState* rs = free_states_.back().release();
  free_states_.pop_back();
  return rs;
}

void Worker::release_request_state(RequestState* rs) {
  // Keep enough for the usual concurrency; beyond that give memory back.
  constexpr size_t kMaxPooled = 256;
  if (free_states_.size() >= kMaxPooled) {
    delete rs;
    return;
  }
  free_states_.emplace_back(rs);
}

void Worker::destroy_connection(Connection* c) {
  if (connections_.erase(c->id()) == 0) return;
  to_destroy_.push_back(c);
  metrics_.open_connections.store(static_cast<int64_t>(connections_.size()),
                                  std::memory_order_relaxed);
  event_active(reap_ev_, 0, 0);
}

void Worker::on_reap(evutil_socket_t, short, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  std::vector<Connection*> dead;
  dead.swap(w->to_destroy_);
  for (Connection* c : dead) delete c;
  w->maybe_finish_drain();
}

void Worker::on_drain(evutil_socket_t, short, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  if (w->draining_) return;
  w->draining_ = true;
  for (evconnlistener* l : w->listeners_) evconnlistener_disable(l);
  std::vector<Connection*> conns;
  for (auto& [id, c] : w->connections_) conns.push_back(c);
  for (Connection* c : conns) c->begin_drain();
  const Runtime* rt = w->snapshots_.back().rt.get();
  auto ms = rt->config.timeouts.drain_grace.count();
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  evtimer_add(w->grace_ev_, &tv);
  w->maybe_finish_drain();
}

void Worker::maybe_finish_drain() {
  if (draining_ && connections_.empty()) event_base_loopbreak(base_);
}

void Worker::on_grace_expired(evutil_socket_t, short, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  PLOG_WARN("worker %d: drain grace period over, closing %zu connections", w->index_,
            w->connections_.size());
  event_base_loopbreak(w->base_);
}

void Worker::on_stop(evutil_socket_t, short, void* arg) {
  event_base_loopbreak(static_cast<Worker*>(arg)->base_);
}

}  // namespace portcullis::server
