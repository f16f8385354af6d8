// Server: start-up, the worker threads, signals (SIGHUP reload, SIGTERM/SIGINT drain) and the
// admin listener. Runs on the main thread; workers only see the Runtime snapshot it publishes.
#pragma once

#include <event2/event.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/audit/auditor.h"
#include "proxy/config/config.h"
#include "proxy/pipeline/services.h"
#include "proxy/server/metrics.h"
#include "proxy/server/runtime.h"
#include "rules/base/result.h"

namespace portcullis::server {

class Worker;
class AdminServer;

class Server {
 public:
  struct Options {
    std::string config_path;  // empty: the embedded default config
    config::EnvLookup env;
  };
  static Result<std::unique_ptr<Server>> create(Options opts);
  ~Server();

  // Blocks until drained or stopped; returns the process exit code.
  int run();

  std::shared_ptr<const Runtime> current_runtime() const;
  BlockCounters& blocks() { return blocks_; }
  audit::Auditor* auditor() { return auditor_.get(); }  // null without audit sinks
  bool ready() const;
  void render_metrics(std::string& out) const;

 private:
  explicit Server(Options opts);
  Status bind_listeners(const config::Config& cfg);
  Status reload();
  Result<config::Config> load_config() const;
  static void on_signal(evutil_socket_t sig, short, void* arg);
  static void on_drain_check(evutil_socket_t, short, void* arg);
  static void on_origin_probe(evutil_socket_t, short, void* arg);
  void probe_origin();
  void audit_config_event(std::string_view action, std::string_view message);
  void check_ranges_age();
  void check_redis_transitions();

  Options opts_;
  event_base* base_ = nullptr;
  mutable std::mutex runtime_mu_;
  std::shared_ptr<const Runtime> runtime_;
  uint64_t generation_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::vector<int>> worker_fds_;
  std::unique_ptr<AdminServer> admin_;
  BlockCounters blocks_;
  std::unique_ptr<audit::Auditor> auditor_;  // null when no audit sink is configured
  pipeline::Services services_;              // long-lived, shared by every Runtime snapshot
  std::vector<event*> events_;
  event* drain_check_ = nullptr;
  event* probe_timer_ = nullptr;
  std::atomic<bool> draining_{false};
  std::atomic<bool> origin_up_{false};
  std::atomic<int> finished_workers_{0};
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> reload_failures_{0};
  std::chrono::steady_clock::time_point last_stale_event_{};
  uint64_t redis_ups_seen_ = 0;
  uint64_t redis_downs_seen_ = 0;
};

}  // namespace portcullis::server
