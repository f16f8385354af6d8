// Metrics: per-worker counters, written only by the owning worker thread (relaxed atomics so the
// admin thread can read them without a data race), summed at scrape time into Prometheus text.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::server {

enum class UpstreamError : uint8_t {
  kConnectRefused,
  kConnectTimeout,
  kResponseTimeout,
  kReset,        // closed or reset before a complete response
  kBadResponse,  // unparseable or ambiguous response
  kCount
};
std::string_view upstream_error_name(UpstreamError e);

struct alignas(64) WorkerMetrics {
  // Request latency buckets, seconds (upper bounds); the last bucket is +Inf.
  static constexpr std::array<double, 12> kLatencyBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};
  std::atomic<uint64_t> requests_by_class[6] = {};  // index 1..5 = 1xx..5xx, 0 = no response
  std::atomic<uint64_t> latency_buckets[kLatencyBounds.size() + 1] = {};
  std::atomic<uint64_t> latency_sum_us{0};
  std::atomic<uint64_t> latency_count{0};
  std::atomic<uint64_t> upstream_errors[static_cast<int>(UpstreamError::kCount)] = {};
  std::atomic<int64_t> open_connections{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_rejected{0};  // over max_connections_per_worker
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> parse_errors{0};
  std::atomic<uint64_t> upstream_retries{0};
  std::atomic<uint64_t> upstream_reused{0};
  std::atomic<uint64_t> upstream_connects{0};
  std::atomic<uint64_t> tls_handshake_failures{0};

  void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void observe_request(uint16_t status, uint64_t latency_us);
};

// Blocks by stage and reason: low rate, string labels, so a mutex-protected map shared by workers.
class BlockCounters {
 public:
  void add(std::string_view stage, std::string_view reason, bool monitor);
  std::vector<std::pair<std::string, uint64_t>> snapshot() const;  // rendered label set -> count

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> counts_;
};

void render_prometheus(const std::vector<const WorkerMetrics*>& workers,
                       const BlockCounters& blocks, double config_reloads,
                       double config_reload_failures, std::string& out);

}  // namespace portcullis::server
