// SharedState: the rate-limit objects that must outlive a configuration reload (the Server keeps
// one in pipeline::Services): the local GCRA table, the auto-block table, the per-process hash
// seed, the Redis client counters and the decision counters for /metrics. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/config/rate_limit_config.h"
#include "proxy/redis/async_client.h"
#include "proxy/stages/rate_limit/auto_block_table.h"
#include "rules/ratelimit/gcra_table.h"

namespace portcullis::rate_limit {

class SharedState {
 public:
  // Table sizes are fixed for the life of the process: a reload that changes
  // rate_limit.table_size keeps the first size (and says so in the log).
  SharedState(size_t gcra_entries, size_t block_entries);
  static std::shared_ptr<SharedState> create(const config::RateLimitConfig& cfg);

  ratelimit::GcraTable& table() { return table_; }
  AutoBlockTable& blocks() { return blocks_; }
  uint64_t seed() const { return seed_; }  // random per process (hash flooding, hash.h)
  redis::ClientStats& redis_stats() { return redis_stats_; }

  struct Counters {
    std::atomic<uint64_t> allowed{0};
    std::atomic<uint64_t> limited{0};           // 429 by a rule (enforced)
    std::atomic<uint64_t> monitored{0};         // a monitor-mode rule would have limited
    std::atomic<uint64_t> blocks_started{0};    // auto-blocks created (this instance)
    std::atomic<uint64_t> blocked{0};           // requests refused by an auto-block
    std::atomic<uint64_t> scanner_hits{0};      // requests for scanner paths
    std::atomic<uint64_t> redis_decisions{0};   // decided by the Redis script
    std::atomic<uint64_t> policy_decisions{0};  // Redis down/slow: on_failure policy applied
  };
  Counters& counters() { return counters_; }

  // Prometheus text for /metrics (the lead appends it in Server::render_metrics).
  void render_prometheus(std::string& out) const;

 private:
  ratelimit::GcraTable table_;
  AutoBlockTable blocks_;
  uint64_t seed_;
  redis::ClientStats redis_stats_;
  Counters counters_;
};

}  // namespace portcullis::rate_limit
