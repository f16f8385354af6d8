// HttpSink: batches POSTed to a collector. Body formats:
//   ndjson        one event per line (Logstash http input, Vector, Fluent Bit, Loki via promtail)
//   elasticsearch _bulk: {"create":{"_index":I,"_id":<event.id>}} + event per line; using the
//                 event id as _id makes replays idempotent (409 for a duplicate is success)
//   splunk        HEC: {"time":s,"sourcetype":"portcullis:audit","event":<event>} concatenated
// Authorization header value from an environment variable (auth_env), optional gzip. 2xx is
// delivered; 408, 429 and 5xx (and network errors) are retried with backoff by the runner; other
// 4xx are permanent rejections (counted as errors and dropped: resending cannot succeed).
#pragma once

#include <string>

#include "proxy/audit/http_client.h"
#include "proxy/audit/sink.h"
#include "proxy/config/audit_config.h"

namespace portcullis::audit {

class HttpSink : public Sink {
 public:
  // auth: the header value read from the environment at start (empty: none).
  HttpSink(const config::AuditSinkConfig& cfg, Url url, std::string auth);
  Status deliver(std::span<const Record> batch) override;
  uint64_t rejected() const { return rejected_; }

  // Builds the request body for `batch` in the configured format (exposed for tests).
  static void build_body(config::AuditHttpFormat f, std::string_view index,
                         std::span<const Record> batch, std::string& out);

 private:
  config::AuditSinkConfig cfg_;
  Url url_;
  std::string auth_;
  std::string body_;
  std::string gz_;
  uint64_t rejected_ = 0;
};

}  // namespace portcullis::audit
