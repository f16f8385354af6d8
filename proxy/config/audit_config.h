// audit: the structured event stream (docs/audit-events.md). Parsed by section_audit.cc.
// Every sink has its own minimum priority, filter and on-disk spool; see proxy/audit/auditor.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::config {

enum class AuditSinkType : uint8_t {
  kStdout,     // JSON lines to standard output
  kFile,       // JSON lines to `path`, size-based rotation, reopened on SIGUSR1
  kSyslogUdp,  // RFC 5424 over UDP (RFC 5426), one datagram per event
  kSyslogTcp,  // RFC 5424 over TCP with RFC 6587 octet counting
  kSyslogTls,  // RFC 5424 over TLS (RFC 5425), octet counting
  kHttp,       // batches POSTed to `url` (ndjson | elasticsearch | splunk)
  kSlack,      // Slack-compatible incoming webhook, aggregated alerts
};

// The `type:` spelling of a sink type (config files, to_yaml, audit reports).
constexpr std::string_view audit_sink_type_name(AuditSinkType t) {
  switch (t) {
    case AuditSinkType::kStdout:
      return "stdout";
    case AuditSinkType::kFile:
      return "file";
    case AuditSinkType::kSyslogUdp:
      return "syslog_udp";
    case AuditSinkType::kSyslogTcp:
      return "syslog_tcp";
    case AuditSinkType::kSyslogTls:
      return "syslog_tls";
    case AuditSinkType::kHttp:
      return "http";
    case AuditSinkType::kSlack:
      return "slack";
  }
  return "unknown";
}
enum class AuditHttpFormat : uint8_t { kNdjson, kElasticBulk, kSplunkHec };
// When the spool fsyncs: never (page cache only), batch (once per writer batch), always (each
// event). "batch" loses at most one batch (<= 10 ms of events) on a power cut.
enum class AuditFsync : uint8_t { kNever, kBatch, kAlways };

struct AuditSinkConfig {
  std::string name;  // unique; names the spool directory and the metric label
  AuditSinkType type = AuditSinkType::kStdout;
  uint8_t min_priority = 3;          // deliver P0..min_priority (0..4; 4 = include access events)
  std::vector<std::string> actions;  // only events whose event.action matches one glob (empty: all)
  std::string path;                  // file
  uint64_t rotate_bytes = 100ull << 20;
  uint32_t rotate_keep = 5;
  std::string host;  // syslog
  uint16_t port = 0;
  uint8_t facility = 16;  // local0
  std::string url;        // http / slack (http:// or https://)
  std::string url_env;    // slack: take the URL from this variable (SLACK_WEBHOOK_URL)
  AuditHttpFormat format = AuditHttpFormat::kNdjson;
  std::string auth_env;  // http: Authorization header value from this variable
  std::string index;     // elasticsearch: _index in the action line
  bool gzip = false;
  bool tls_verify = true;
  std::string ca_file;
  uint32_t batch_max = 500;  // events per delivery
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds confirm_after{1000};      // tcp/tls syslog: see syslog_sink.h
  std::chrono::milliseconds aggregate_window{60000};  // slack
  uint64_t spool_max_bytes = 256ull << 20;
  bool operator==(const AuditSinkConfig&) const = default;
};

struct AuditConfig {
  std::vector<AuditSinkConfig> sinks;  // no sink: audit off, no stage, no thread
  std::string spool_dir = "/var/lib/portcullis/audit";
  uint32_t queue_capacity = 4096;  // events in the lock-free queue (power of two)
  AuditFsync fsync = AuditFsync::kBatch;
  uint64_t spool_segment_bytes = 8ull << 20;
  bool access_events = false;   // one event per request (P4), else decisions only
  double access_sample = 1.0;   // fraction of requests with an access event
  bool upstream_errors = true;  // 502/504 answered by the proxy produce an event
  uint32_t excerpt_bytes = 128;
  std::vector<std::string> sensitive_paths{"/admin", "/login", "/wp-admin", "/api/admin"};
  std::vector<std::pair<std::string, uint8_t>> priorities;  // action glob -> 0..3, first wins
  std::vector<std::string> redact_keys{"password", "passwd",  "token", "secret",
                                       "session",  "api_key", "apikey"};
  bool enabled() const { return !sinks.empty(); }
  bool operator==(const AuditConfig&) const = default;
};

}  // namespace portcullis::config
