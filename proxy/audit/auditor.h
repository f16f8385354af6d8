// Auditor: the audit event stream (DESIGN.md "Audit events", docs/audit-events.md).
//
// The request path calls emit(), which copies the fixed-size Event into a bounded lock-free queue
// and returns at once (a full queue drops the event and counts it: the proxy never waits for
// audit). One writer thread pops events, encodes each once to ECS JSON and offers it to every sink
// whose priority and action filter accept it; each sink has its own runner thread and on-disk
// spool (sink_runner.h), so a slow or dead sink never delays the others.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/audit/event.h"
#include "proxy/audit/event_queue.h"
#include "proxy/audit/sink_runner.h"
#include "proxy/config/config.h"
#include "rules/base/result.h"

namespace portcullis::audit {

class Auditor {
 public:
  // Builds every sink and opens its spool (<spool_dir>/<sink name>); starts the threads.
  // Errors: an unreadable spool directory, a bad URL, a variable named by url_env that is unset.
  static Result<std::unique_ptr<Auditor>> create(const config::AuditConfig& cfg,
                                                 const config::EnvLookup& env);
  ~Auditor();

  // Request path / any thread. Assigns event.id and @timestamp (when 0). False when the queue was
  // full (the event is counted in portcullis_audit_queue_dropped_total).
  bool emit(const Event& ev);

  // Priority of an action: the configured `priorities` globs first, then the defaults
  // (docs/audit-events.md); `path` on a sensitive route raises an inspection event to P1.
  Priority classify(std::string_view action, std::string_view path) const;

  // Copies an excerpt to `out` with secrets replaced by [REDACTED]: the registered secret values,
  // and the values after "authorization", "cookie", "bearer" and every configured redact key
  // (key=value, key: value).
  // Request path: writes at most `cap` bytes to `out` (no allocation) and returns the length;
  // `*cut` tells whether the redacted text was longer. A secret cut by the limit is still masked
  // (the output then ends inside "[REDACTED]", never inside the secret).
  size_t redact(std::string_view in, char* out, size_t cap, bool* cut) const;
  // The whole redacted text (tests, tools).
  void redact(std::string_view in, std::string& out) const;
  // Registers a secret value (e.g. the origin-lock shared secret) to be redacted from excerpts.
  // Call before traffic starts.
  void add_redaction(std::string secret);

  // Drains the queue, lets every sink deliver for at most `grace`, spools the rest, joins.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  // SIGUSR1: file sinks reopen their path.
  void reopen();
  // Prometheus text exposition of the queue and every sink.
  void render_metrics(std::string& out) const;

  const config::AuditConfig& config() const { return cfg_; }
  uint64_t queue_dropped() const { return queue_dropped_.load(); }
  uint64_t emitted() const { return emitted_.load(); }
  size_t num_sinks() const { return runners_.size(); }
  const SinkRunner& sink(size_t i) const { return *runners_[i]; }
  // True when every event emitted so far was handed to the sinks (tests, benchmarks).
  bool idle() const;

 private:
  explicit Auditor(const config::AuditConfig& cfg);
  void run();

  config::AuditConfig cfg_;
  EventQueue<Event> queue_;
  std::vector<std::unique_ptr<SinkRunner>> runners_;
  std::vector<std::string> secrets_;
  uint64_t id_hi_ = 0;
  std::atomic<uint64_t> seq_{0};
  std::atomic<uint64_t> emitted_{0};
  std::atomic<uint64_t> queue_dropped_{0};
  std::atomic<uint64_t> written_{0};
  std::atomic<bool> stop_{false};
  std::thread writer_;
};

}  // namespace portcullis::audit
