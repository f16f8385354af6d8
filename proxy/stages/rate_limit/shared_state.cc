#include "proxy/stages/rate_limit/shared_state.h"

#include <random>

namespace portcullis::rate_limit {
namespace {

void metric(std::string& out, const char* name, const char* help, const char* type, double v) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(static_cast<long long>(v));
  out += '\n';
}

}  // namespace

SharedState::SharedState(size_t gcra_entries, size_t block_entries)
    : table_(gcra_entries), blocks_(block_entries) {
  std::random_device rd;
  seed_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

std::shared_ptr<SharedState> SharedState::create(const config::RateLimitConfig& cfg) {
  // Blocks are few compared with buckets: a quarter of the table, at least 64Ki clients.
  size_t blocks = cfg.table_size / 4 < 65536 ? 65536 : cfg.table_size / 4;
  return std::make_shared<SharedState>(cfg.table_size, blocks);
}

void SharedState::render_prometheus(std::string& out) const {
  const Counters& c = counters_;
  metric(out, "portcullis_ratelimit_allowed_total", "Requests a rate-limit decision allowed.",
         "counter", c.allowed.load());
  metric(out, "portcullis_ratelimit_limited_total", "Requests refused with 429 by a rule.",
         "counter", c.limited.load());
  metric(out, "portcullis_ratelimit_monitored_total",
         "Requests a monitor-mode rule would have refused.", "counter", c.monitored.load());
  metric(out, "portcullis_autoblock_started_total", "Auto-blocks created by this instance.",
         "counter", c.blocks_started.load());
  metric(out, "portcullis_autoblock_refused_total", "Requests refused by an auto-block.", "counter",
         c.blocked.load());
  metric(out, "portcullis_autoblock_scanner_hits_total", "Requests for scanner-probe paths.",
         "counter", c.scanner_hits.load());
  metric(out, "portcullis_ratelimit_redis_decisions_total", "Decisions made by the Redis script.",
         "counter", c.redis_decisions.load());
  metric(out, "portcullis_ratelimit_failure_policy_total",
         "Decisions made by rate_limit.redis.on_failure (Redis down or slow).", "counter",
         c.policy_decisions.load());
  const redis::ClientStats& r = redis_stats_;
  metric(out, "portcullis_redis_up", "Worker loops with a ready Redis connection.", "gauge",
         static_cast<double>(r.ready_clients.load()));
  metric(out, "portcullis_redis_up_transitions_total", "Redis connections that became ready.",
         "counter", r.up_transitions.load());
  metric(out, "portcullis_redis_down_transitions_total", "Ready Redis connections lost.", "counter",
         r.down_transitions.load());
  metric(out, "portcullis_redis_commands_total", "Commands sent to Redis.", "counter",
         r.commands.load());
  metric(out, "portcullis_redis_errors_total", "Failed Redis commands and error replies.",
         "counter", r.errors.load());
  metric(out, "portcullis_redis_timeouts_total", "Redis replies that missed the deadline.",
         "counter", r.timeouts.load());
  metric(out, "portcullis_redis_refused_total", "Commands not sent: Redis not ready.", "counter",
         r.refused.load());
  metric(out, "portcullis_ratelimit_table_live_evictions_total",
         "Local GCRA entries with a future TAT evicted by new keys.", "counter",
         const_cast<ratelimit::GcraTable&>(table_).stats().live_evictions);
}

}  // namespace portcullis::rate_limit
