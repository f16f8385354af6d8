#include "proxy/server/server.h"

#include <arpa/inet.h>
#include <event2/bufferevent.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/redis/async_client.h"
#include "proxy/server/admin_server.h"
#include "proxy/server/log.h"
#include "proxy/server/worker.h"
#include "proxy/stages/custom_rules/rule_counters.h"
#include "proxy/stages/origin_lock/ranges_store.h"
#include "proxy/stages/rate_limit/shared_state.h"

namespace portcullis::server {
namespace {

std::string format_addr(const sockaddr_storage& ss) {
  char host[64] = {};
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
  return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
}

void set_port(sockaddr_storage& ss, uint16_t port) {
  if (ss.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
  }
}

uint16_t get_port(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

// One listening socket per worker with SO_REUSEPORT: the kernel spreads connections across
// workers, and no accept lock is shared.
Result<int> open_listener(const sockaddr_storage& addr, socklen_t len) {
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0 || listen(fd, 4096) != 0) {
    std::string err = std::strerror(errno);
    close(fd);
    return make_error("cannot listen on " + format_addr(addr) + ": " + err);
  }
  return fd;
}

}  // namespace

Server::Server(Options opts) : opts_(std::move(opts)) {}

Server::~Server() {
  for (auto& w : workers_) w->notify_stop();
  for (auto& w : workers_) w->join();
  workers_.clear();
  admin_.reset();
  for (event* e : events_) event_free(e);
  if (drain_check_ != nullptr) event_free(drain_check_);
  if (probe_timer_ != nullptr) event_free(probe_timer_);
  if (base_ != nullptr) event_base_free(base_);
}

Result<config::Config> Server::load_config() const {
  if (opts_.config_path.empty()) {
    return config::load_config_string(config::embedded_default_config(), "<embedded>", opts_.env);
  }
  return config::load_config_file(opts_.config_path, opts_.env);
}

Result<std::unique_ptr<Server>> Server::create(Options opts) {
  static bool threads_ready = evthread_use_pthreads() == 0;
  if (!threads_ready) return make_error("libevent: pthreads support unavailable");
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Server> s(new Server(std::move(opts)));
  auto cfg = s->load_config();
  if (!cfg) return cfg.error();
  s->services_.rate_limit = rate_limit::SharedState::create(cfg.value().rate_limit);
  if (cfg->audit.enabled()) {
    // Built once: sinks, their threads and spools outlive config reloads.
    auto a = audit::Auditor::create(cfg->audit, s->opts_.env);
    if (!a) return a.error();
    s->auditor_ = std::move(a.value());
    s->services_.auditor = s->auditor_.get();
    // The origin-lock secret must never appear in an excerpt.
    for (const char* name : {"ORIGIN_SHARED_SECRET", "ORIGIN_SHARED_SECRET_PREVIOUS"}) {
      if (auto v = s->opts_.env(name); v && !v->empty()) s->auditor_->add_redaction(*v);
    }
  }
  auto rt = build_runtime(std::move(cfg.value()), ++s->generation_, s->services_);
  if (!rt) return rt.error();
  s->runtime_ = rt.value();
  Status bs = s->bind_listeners(s->runtime_->config);
  if (!bs) return bs.error();
  s->base_ = event_base_new();
  const config::Config& c = s->runtime_->config;
  if (c.admin.enabled) {
    AdminServer::Handlers h;
    Server* self = s.get();
    h.ready = [self] { return self->ready(); };
    h.metrics = [self](std::string& out) { self->render_metrics(out); };
    s->admin_ = std::make_unique<AdminServer>(s->base_, std::move(h));
    auto bound = s->admin_->listen(c.admin.address);
    if (!bound) return bound.error();
    PLOG_INFO("admin listening on %s", bound.value().c_str());
  } else {
    PLOG_INFO("admin disabled");
  }
  return s;
}

Status Server::bind_listeners(const config::Config& cfg) {
  worker_fds_.assign(cfg.workers, {});
  for (const config::ListenerConfig& l : cfg.listeners) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    Status s = resolve_host_port(l.address, addr, len);
    if (!s) return make_error("listen: " + s.error().reason);
    for (uint32_t w = 0; w < cfg.workers; ++w) {
      auto fd = open_listener(addr, len);
      if (!fd) return fd.error();
      if (w == 0 && get_port(addr) == 0) {
        // Port 0: the first socket picks an ephemeral port, the others share it.
        sockaddr_storage bound{};
        socklen_t blen = sizeof(bound);
        getsockname(fd.value(), reinterpret_cast<sockaddr*>(&bound), &blen);
        set_port(addr, get_port(bound));
      }
      worker_fds_[w].push_back(fd.value());
    }
    PLOG_INFO("proxy listening on %s (%u workers, origin %s)", format_addr(addr).c_str(),
              cfg.workers, cfg.upstream.address.to_string().c_str());
    if (l.tls) PLOG_INFO("tls listening on %s", format_addr(addr).c_str());
  }
  return Status::Ok();
}

std::shared_ptr<const Runtime> Server::current_runtime() const {
  std::lock_guard<std::mutex> lock(runtime_mu_);
  return runtime_;
}

bool Server::ready() const { return !draining_.load() && origin_up_.load() && !workers_.empty(); }

void Server::render_metrics(std::string& out) const {
  std::vector<const WorkerMetrics*> ms;
  for (const auto& w : workers_) ms.push_back(&w->metrics());
  render_prometheus(ms, blocks_, static_cast<double>(reloads_.load()),
                    static_cast<double>(reload_failures_.load()), out);
  origin_lock::render_metrics(out);  // Cloudflare list age and refusals
  if (auditor_) auditor_->render_metrics(out);
  if (services_.rate_limit) services_.rate_limit->render_prometheus(out);
  // Match-limit hits (ReDoS guard) and matches of custom rules, summed across reloads.
  stages::process_custom_rule_counters().render(out);
}

Status Server::reload() {
  auto cfg = load_config();
  if (!cfg) return cfg.error();
  const config::Config& old = current_runtime()->config;
  // Sockets and threads are fixed at start: changing them needs a restart (said, not ignored).
  if (cfg->workers != old.workers) {
    PLOG_WARN("reload: 'workers' changed (%u -> %u); takes effect on restart", old.workers,
              cfg->workers);
    cfg->workers = old.workers;
  }
  bool listeners_changed = cfg->listeners.size() != old.listeners.size();
  for (size_t i = 0; !listeners_changed && i < cfg->listeners.size(); ++i) {
    listeners_changed =
        cfg->listeners[i].address.to_string() != old.listeners[i].address.to_string();
  }
  if (listeners_changed) {
    // Addresses are bound once; the new TLS settings (certificates, client CA) of unchanged
    // addresses do apply, to new connections.
    PLOG_WARN("reload: 'listen' addresses changed; takes effect on restart");
    cfg->listeners = old.listeners;
  }
  auto rt = build_runtime(std::move(cfg.value()), ++generation_, services_);
  if (!rt) return rt.error();
  {
    std::lock_guard<std::mutex> lock(runtime_mu_);
    runtime_ = rt.value();
  }
  for (auto& w : workers_) w->notify_reload();
  return Status::Ok();
}

void Server::on_signal(evutil_socket_t sig, short, void* arg) {
  auto* s = static_cast<Server*>(arg);
  if (sig == SIGHUP) {
    Status st = s->reload();
    if (st) {
      s->reloads_++;
      PLOG_INFO("configuration reloaded (generation %llu)",
                static_cast<unsigned long long>(s->generation_));
      s->audit_config_event("config.reload", "configuration reloaded");
    } else {
      s->reload_failures_++;
      PLOG_ERROR("configuration reload refused, the running configuration stays: %s",
                 st.error().reason.c_str());
      s->audit_config_event("config.reload_refused", st.error().reason);
    }
    return;
  }
  if (sig == SIGUSR1) {
    if (s->auditor_) s->auditor_->reopen();  // log rotation: file sinks reopen their path
    return;
  }
  if (s->draining_.exchange(true)) {
    PLOG_WARN("second termination signal: stopping now");
    for (auto& w : s->workers_) w->notify_stop();
    event_base_loopbreak(s->base_);
    return;
  }
  PLOG_INFO("draining: no new connections, finishing in-flight requests (grace %lld ms)",
            static_cast<long long>(s->current_runtime()->config.timeouts.drain_grace.count()));
  for (auto& w : s->workers_) w->notify_drain();
  timeval tv{0, 20000};
  event_add(s->drain_check_, &tv);
}

void Server::on_drain_check(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<Server*>(arg);
  if (s->finished_workers_.load() == static_cast<int>(s->workers_.size())) {
    event_base_loopbreak(s->base_);
    return;
  }
  timeval tv{0, 20000};
  event_add(s->drain_check_, &tv);
}

void Server::audit_config_event(std::string_view action, std::string_view message) {
  if (!auditor_) return;
  audit::Event ev;
  ev.kind = audit::EventKind::kEvent;
  ev.category.set("configuration");
  ev.type.set(action == "config.reload" ? "change" : "error");
  ev.outcome = action == "config.reload" ? audit::Outcome::kSuccess : audit::Outcome::kFailure;
  ev.action.set(action);
  ev.priority = auditor_->classify(action, "");
  ev.message.set(message);
  auditor_->emit(ev);
}

void Server::probe_origin() {
  const Runtime& rt = *current_runtime();
  bufferevent* bev = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
  timeval tv{2, 0};
  bufferevent_set_timeouts(bev, nullptr, &tv);
  bufferevent_setcb(
      bev, nullptr, nullptr,
      [](bufferevent* b, short what, void* arg) {
        static_cast<Server*>(arg)->origin_up_.store((what & BEV_EVENT_CONNECTED) != 0);
        bufferevent_free(b);
      },
      this);
  if (bufferevent_socket_connect(bev, reinterpret_cast<const sockaddr*>(&rt.origin_addr),
                                 static_cast<int>(rt.origin_addr_len)) != 0) {
    origin_up_.store(false);
    bufferevent_free(bev);
  }
}

// A Cloudflare list older than origin_lock.max_ranges_age_days is config drift: a P3 audit event
// (at most one a day), besides the age gauge on /metrics and the start-up warning.
void Server::check_ranges_age() {
  if (!auditor_) return;
  const config::Config& cfg = current_runtime()->config;
  if (cfg.origin_lock.mode == config::LockMode::kOff || !cfg.origin_lock.cloudflare_ranges) return;
  auto age = origin_lock::process_ranges_store().age_seconds(std::chrono::system_clock::now());
  if (!age || *age <= int64_t{cfg.origin_lock.max_ranges_age_days} * 86400) return;
  auto now = std::chrono::steady_clock::now();
  if (last_stale_event_.time_since_epoch().count() != 0 &&
      now - last_stale_event_ < std::chrono::hours(24)) {
    return;
  }
  last_stale_event_ = now;
  audit::Event ev;
  ev.kind = audit::EventKind::kEvent;
  ev.category.set("configuration");
  ev.type.set("info");
  ev.outcome = audit::Outcome::kUnknown;
  ev.action.set("cloudflare.ranges_stale");
  ev.priority = auditor_->classify("cloudflare.ranges_stale", "");
  ev.message.set("Cloudflare IP ranges are " + std::to_string(*age / 86400) +
                 " days old (origin_lock.max_ranges_age_days " +
                 std::to_string(cfg.origin_lock.max_ranges_age_days) +
                 "); refresh with scripts/update-cloudflare-ips.sh");
  auditor_->emit(ev);
}

// Shared rate limiting depends on Redis: every loss and every recovery is an audit event (the
// workers' clients count transitions; this runs with the 1 s origin probe, so a flap within a
// second is one event with its count).
void Server::check_redis_transitions() {
  if (!auditor_ || !services_.rate_limit) return;
  const redis::ClientStats& st = services_.rate_limit->redis_stats();
  uint64_t downs = st.down_transitions.load(std::memory_order_relaxed);
  uint64_t ups = st.up_transitions.load(std::memory_order_relaxed);
  auto emit = [&](std::string_view action, uint64_t count, const char* what) {
    audit::Event ev;
    ev.kind = audit::EventKind::kEvent;
    ev.category.set("network");
    ev.type.set(action == "rate_limit.redis_down" ? "error" : "info");
    ev.outcome =
        action == "rate_limit.redis_down" ? audit::Outcome::kFailure : audit::Outcome::kSuccess;
    ev.action.set(action);
    ev.priority = auditor_->classify(action, "");
    ev.count = count;
    ev.message.set(what);
    auditor_->emit(ev);
  };
  if (downs > redis_downs_seen_) {
    emit("rate_limit.redis_down", downs - redis_downs_seen_,
         "Redis connection lost: rate_limit.redis.on_failure applies until it is back");
  }
  // The first connection of each worker is an up transition too, not a recovery.
  if (ups > redis_ups_seen_ && redis_downs_seen_ + (downs - redis_downs_seen_) > 0) {
    emit("rate_limit.redis_up", ups - redis_ups_seen_,
         "Redis connection back: shared limits resume");
  }
  redis_downs_seen_ = downs;
  redis_ups_seen_ = ups;
}

void Server::on_origin_probe(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<Server*>(arg);
  s->probe_origin();
  s->check_ranges_age();
  s->check_redis_transitions();
  timeval tv{1, 0};
  event_add(s->probe_timer_, &tv);
}

int Server::run() {
  for (int sig : {SIGHUP, SIGTERM, SIGINT, SIGUSR1}) {
    event* e = evsignal_new(base_, sig, on_signal, this);
    event_add(e, nullptr);
    events_.push_back(e);
  }
  drain_check_ = evtimer_new(base_, on_drain_check, this);
  probe_timer_ = evtimer_new(base_, on_origin_probe, this);
  event_active(probe_timer_, 0, 0);

  for (uint32_t i = 0; i < worker_fds_.size(); ++i) {
    workers_.push_back(std::make_unique<Worker>(static_cast<int>(i), *this, worker_fds_[i]));
  }
  for (auto& w : workers_) {
    Worker* wp = w.get();
    (void)wp;
    w->start();
  }
  // A watcher thread per worker would be overkill: workers bump finished_workers_ via join below.
  std::thread joiner([this] {
    for (auto& w : workers_) {
      w->join();
      finished_workers_++;
    }
  });
  PLOG_INFO("ready: %zu workers", workers_.size());
  event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
  for (auto& w : workers_) w->notify_stop();
  joiner.join();
  // Workers are gone: every request's event is queued. Give the sinks a moment to deliver (what
  // they cannot deliver is in their spools and goes out at the next start).
  if (auditor_) auditor_->stop();
  PLOG_INFO("stopped");
  return 0;
}

}  // namespace portcullis::server
