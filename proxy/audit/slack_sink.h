// SlackSink: alerts to a Slack-compatible incoming webhook ({"text": ...} POST). Events are
// de-duplicated and aggregated per (event.action, portcullis.detector) over aggregate_window: the
// first event of a key opens a window, every further one only counts, and at the end of the
// window ONE message says "<action> x<count> from <n> clients" with a sample. An attack of 10,000
// requests is one alert. Events are de-duplicated by event.id (the runner's at-least-once resends
// of a batch are not counted twice).
//
// Durable like the other sinks: the open windows, the alerts waiting for the webhook (retried
// with backoff) and unannounced drops live in a state file (slack_state.h) rewritten atomically
// whenever they change. deliver() returns Ok only once the batch is counted on disk (else the
// runner spools the batch and retries), so a Portcullis killed with -9 while the webhook is down
// sends the aggregated alert, with the full count, after restart. Windows are kept in wall-clock
// time, so one that should have closed while Portcullis was down closes at start. When the outbox
// is full the oldest alert is dropped; its events are counted in dropped() and announced (P1
// audit.events_dropped) once the webhook accepts alerts again.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <unordered_set>

#include "proxy/audit/http_client.h"
#include "proxy/audit/sink.h"
#include "proxy/audit/slack_state.h"
#include "proxy/config/audit_config.h"

namespace portcullis::audit {

class SlackSink : public Sink {
 public:
  // state_path: the state file (in the sink's spool directory); empty keeps state in memory only.
  // A state file that cannot be decoded is moved to <state_path>.corrupt (see load_error()).
  SlackSink(const config::AuditSinkConfig& cfg, Url url, std::string state_path);
  Status deliver(std::span<const Record> batch) override;
  void poll() override;
  uint64_t dropped() const override { return dropped_.load(std::memory_order_relaxed); }
  uint64_t take_unannounced_drops() override;

  uint64_t alerts_sent() const { return sent_; }
  uint64_t duplicates() const { return duplicates_; }  // resent events not counted again
  const SlackState& state() const { return state_; }   // runner thread / tests
  const std::string& load_error() const { return load_error_; }

  // Extracts the string value of "key":"..." from our own encoding (no unescaping).
  static std::string_view json_field(std::string_view json, std::string_view key);

 private:
  void close_window(const SlackWindow& w);
  // True when `id` was counted recently (then it is a resend); else remembers it.
  bool seen(const SlackEventId& id);
  struct IdHash {
    size_t operator()(const SlackEventId& id) const { return id.hi * 31 + id.lo; }
  };
  Status persist();

  config::AuditSinkConfig cfg_;
  Url url_;
  std::string state_path_;
  std::string load_error_;
  SlackState state_;
  std::unordered_set<SlackEventId, IdHash> recent_set_;  // = state_.recent_ids
  std::string encoded_;                                  // reused encode buffer
  bool dirty_ = false;  // state_ differs from the file (a write failed): retried by poll()
  bool last_post_ok_ = false;
  std::chrono::steady_clock::time_point next_try_{};
  std::chrono::milliseconds backoff_{200};
  uint64_t sent_ = 0;
  uint64_t duplicates_ = 0;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace portcullis::audit
