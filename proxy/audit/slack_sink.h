// SlackSink: alerts to a Slack-compatible incoming webhook ({"text": ...} POST). Events are
// de-duplicated and aggregated per (event.action, portcullis.detector) over aggregate_window: the
// first event of a key opens a window, every further one only counts, and at the end of the
// window ONE message says "<action> x<count> from <n> clients" with a sample. An attack of 10,000
// requests is one alert. Alerts not accepted by the webhook are retried (outbox bounded to 256).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <string>

#include "proxy/audit/http_client.h"
#include "proxy/audit/sink.h"
#include "proxy/config/audit_config.h"

namespace portcullis::audit {

class SlackSink : public Sink {
 public:
  SlackSink(const config::AuditSinkConfig& cfg, Url url);
  Status deliver(std::span<const Record> batch) override;
  void poll() override;
  uint64_t alerts_sent() const { return sent_; }

  // Extracts the string value of "key":"..." from our own encoding (no unescaping).
  static std::string_view json_field(std::string_view json, std::string_view key);

 private:
  struct Window {
    std::chrono::steady_clock::time_point opened;
    uint64_t count = 0;
    uint8_t priority = 4;
    std::set<std::string> clients;  // at most 20 kept
    std::string sample;             // "GET /path" of the first event
    std::string detector;
  };
  void close_window(const std::string& key, Window& w);

  config::AuditSinkConfig cfg_;
  Url url_;
  std::map<std::string, Window> windows_;
  std::deque<std::string> outbox_;  // JSON payloads
  std::chrono::steady_clock::time_point next_try_{};
  std::chrono::milliseconds backoff_{200};
  uint64_t sent_ = 0;
};

}  // namespace portcullis::audit
