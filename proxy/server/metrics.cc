#include "proxy/server/metrics.h"

#include <cstdio>

namespace portcullis::server {

std::string_view upstream_error_name(UpstreamError e) {
  switch (e) {
    case UpstreamError::kConnectRefused:
      return "connect_refused";
    case UpstreamError::kConnectTimeout:
      return "connect_timeout";
    case UpstreamError::kResponseTimeout:
      return "response_timeout";
    case UpstreamError::kReset:
      return "reset";
    case UpstreamError::kBadResponse:
      return "bad_response";
    case UpstreamError::kCount:
      break;
  }
  return "unknown";
}

void WorkerMetrics::observe_request(uint16_t status, uint64_t latency_us) {
  int cls = status >= 100 && status < 600 ? status / 100 : 0;
  add(requests_by_class[cls]);
  double s = static_cast<double>(latency_us) / 1e6;
  size_t i = 0;
  while (i < kLatencyBounds.size() && s > kLatencyBounds[i]) ++i;
  add(latency_buckets[i]);
  add(latency_sum_us, latency_us);
  add(latency_count);
}

void BlockCounters::add(std::string_view stage, std::string_view reason, bool monitor) {
  std::string key = "stage=\"" + std::string(stage) + "\",reason=\"" + std::string(reason) +
                    "\",mode=\"" + (monitor ? "monitor" : "enforce") + "\"";
  std::lock_guard<std::mutex> lock(mu_);
  counts_[key]++;
}

std::vector<std::pair<std::string, uint64_t>> BlockCounters::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {counts_.begin(), counts_.end()};
}

namespace {
uint64_t sum(const std::vector<const WorkerMetrics*>& ws, auto field) {
  uint64_t s = 0;
  for (const WorkerMetrics* w : ws) s += field(*w).load(std::memory_order_relaxed);
  return s;
}
void line(std::string& out, const char* fmt, auto... args) {
  char buf[512];
  int n = std::snprintf(buf, sizeof(buf), fmt, args...);
  out.append(buf, static_cast<size_t>(n));
}
}  // namespace

void render_prometheus(const std::vector<const WorkerMetrics*>& ws, const BlockCounters& blocks,
                       double reloads, double reload_failures, std::string& out) {
  out += "# HELP portcullis_requests_total Requests answered, by status class.\n";
  out += "# TYPE portcullis_requests_total counter\n";
  static const char* kClass[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int c = 0; c < 6; ++c) {
    line(out, "portcullis_requests_total{code=\"%s\"} %llu\n", kClass[c],
         (unsigned long long)sum(
             ws, [c](const WorkerMetrics& w) -> auto& { return w.requests_by_class[c]; }));
  }
  out += "# HELP portcullis_request_duration_seconds Time from request head to response end.\n";
  out += "# TYPE portcullis_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= WorkerMetrics::kLatencyBounds.size(); ++i) {
    cumulative += sum(
        ws, [i](const WorkerMetrics& w) -> auto& { return w.latency_buckets[i]; });
    if (i < WorkerMetrics::kLatencyBounds.size()) {
      line(out, "portcullis_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
           WorkerMetrics::kLatencyBounds[i], (unsigned long long)cumulative);
    } else {
      line(out, "portcullis_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
           (unsigned long long)cumulative);
    }
  }
  line(out, "portcullis_request_duration_seconds_sum %.6f\n",
       static_cast<double>(sum(
           ws, [](const WorkerMetrics& w) -> auto& { return w.latency_sum_us; })) /
           1e6);
  line(out, "portcullis_request_duration_seconds_count %llu\n",
       (unsigned long long)sum(
           ws, [](const WorkerMetrics& w) -> auto& { return w.latency_count; }));

  out += "# HELP portcullis_upstream_errors_total Upstream failures, by kind.\n";
  out += "# TYPE portcullis_upstream_errors_total counter\n";
  for (int e = 0; e < static_cast<int>(UpstreamError::kCount); ++e) {
    line(out, "portcullis_upstream_errors_total{kind=\"%s\"} %llu\n",
         std::string(upstream_error_name(static_cast<UpstreamError>(e))).c_str(),
         (unsigned long long)sum(
             ws, [e](const WorkerMetrics& w) -> auto& { return w.upstream_errors[e]; }));
  }
  int64_t open = 0;
  for (const WorkerMetrics* w : ws) open += w->open_connections.load(std::memory_order_relaxed);
  out += "# HELP portcullis_open_connections Client connections open now.\n";
  out += "# TYPE portcullis_open_connections gauge\n";
  line(out, "portcullis_open_connections %lld\n", (long long)open);

  struct Counter {
    const char* name;
    const char* help;
    std::atomic<uint64_t> WorkerMetrics::*field;
  };
  static const Counter kCounters[] = {
      {"portcullis_connections_total", "Client connections accepted.",
       &WorkerMetrics::connections_total},
      {"portcullis_connections_rejected_total",
       "Connections closed at accept: over max_connections_per_worker.",
       &WorkerMetrics::connections_rejected},
      {"portcullis_received_bytes_total", "Bytes read from clients.", &WorkerMetrics::bytes_in},
      {"portcullis_sent_bytes_total", "Bytes written to clients.", &WorkerMetrics::bytes_out},
      {"portcullis_parse_errors_total", "Requests rejected by the HTTP parser.",
       &WorkerMetrics::parse_errors},
      {"portcullis_upstream_retries_total",
       "Idempotent requests retried on a fresh upstream connection.",
       &WorkerMetrics::upstream_retries},
      {"portcullis_upstream_reused_total",
       "Requests sent on a pooled keep-alive upstream connection.",
       &WorkerMetrics::upstream_reused},
      {"portcullis_upstream_connects_total", "New upstream connections opened.",
       &WorkerMetrics::upstream_connects},
      {"portcullis_tls_handshake_failures_total",
       "TLS handshakes that failed (bad or missing client certificate, protocol errors).",
       &WorkerMetrics::tls_handshake_failures},
  };
  for (const Counter& c : kCounters) {
    line(out, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name);
    uint64_t s = 0;
    for (const WorkerMetrics* w : ws) s += (w->*c.field).load(std::memory_order_relaxed);
    line(out, "%s %llu\n", c.name, (unsigned long long)s);
  }
  out +=
      "# HELP portcullis_blocks_total Requests blocked (or that would be, in monitor mode), by "
      "stage and reason.\n";
  out += "# TYPE portcullis_blocks_total counter\n";
  for (const auto& [labels, n] : blocks.snapshot()) {
    out += "portcullis_blocks_total{" + labels + "} " + std::to_string(n) + "\n";
  }
  out += "# HELP portcullis_config_reloads_total Successful configuration reloads.\n";
  out += "# TYPE portcullis_config_reloads_total counter\n";
  line(out, "portcullis_config_reloads_total %.0f\n", reloads);
  out +=
      "# HELP portcullis_config_reload_failures_total Reloads refused (the old config kept "
      "running).\n";
  out += "# TYPE portcullis_config_reload_failures_total counter\n";
  line(out, "portcullis_config_reload_failures_total %.0f\n", reload_failures);
}

}  // namespace portcullis::server
