#include "rules/ratelimit/gcra.h"

#include <algorithm>

namespace portcullis::ratelimit {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

int64_t ceil_seconds(int64_t ns) { return ns <= 0 ? 0 : (ns - 1) / kNsPerSec + 1; }

void append_sf_string(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) continue;
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

Result<GcraPolicy> GcraPolicy::make(uint64_t limit, int64_t period_ns, uint64_t burst) {
  if (limit == 0) return make_error("rate limit must be at least 1 request per period");
  if (period_ns <= 0) return make_error("rate limit period must be positive");
  if (limit > static_cast<uint64_t>(period_ns)) {
    return make_error("rate limit too high: more than one request per nanosecond");
  }
  GcraPolicy p;
  p.limit = limit;
  p.period_ns = period_ns;
  p.burst = burst;
  p.emission_interval_ns = period_ns / static_cast<int64_t>(limit);
  uint64_t c = 0;
  uint64_t cap_ns = 0;
  if (__builtin_add_overflow(limit, burst, &c) ||
      __builtin_mul_overflow(c, static_cast<uint64_t>(p.emission_interval_ns), &cap_ns) ||
      cap_ns > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 4)) {
    // The /4 headroom keeps TAT + cost*T and now + capacity far from int64 overflow.
    return make_error("rate limit burst too large");
  }
  p.capacity_ns = static_cast<int64_t>(cap_ns);
  return p;
}

GcraDecision gcra_check(const GcraPolicy& p, int64_t* stored_tat, int64_t now_ns, uint32_t cost) {
  const int64_t t = p.emission_interval_ns;
  GcraDecision d;
  const int64_t tat = std::max(*stored_tat, now_ns);
  const int64_t used = tat - now_ns;  // 0..capacity_ns: how far ahead of now the key is
  if (static_cast<uint64_t>(cost) > p.limit + p.burst) {
    d.retry_after_ns = GcraDecision::kNever;
    d.remaining = static_cast<uint64_t>(std::max<int64_t>(p.capacity_ns - used, 0) / t);
    d.reset_after_ns = used;
    return d;
  }
  const int64_t new_tat = tat + static_cast<int64_t>(cost) * t;
  const int64_t allow_at = new_tat - p.capacity_ns;
  if (now_ns < allow_at) {
    d.retry_after_ns = allow_at - now_ns;
    d.remaining = static_cast<uint64_t>(std::max<int64_t>(p.capacity_ns - used, 0) / t);
    d.reset_after_ns = used;
    return d;
  }
  *stored_tat = new_tat;
  d.allowed = true;
  d.remaining = static_cast<uint64_t>((p.capacity_ns - (new_tat - now_ns)) / t);
  d.reset_after_ns = new_tat - now_ns;
  return d;
}

std::string format_retry_after(const GcraDecision& d) {
  if (d.allowed) return std::string();
  return std::to_string(std::max<int64_t>(ceil_seconds(d.retry_after_ns), 1));
}

std::string format_ratelimit(const GcraDecision& d, std::string_view policy_name) {
  std::string out;
  out.reserve(48);
  append_sf_string(&out, policy_name);
  out += ";r=";
  out += std::to_string(d.remaining);
  out += ";t=";
  out += std::to_string(ceil_seconds(d.reset_after_ns));
  return out;
}

std::string format_ratelimit_policy(const GcraPolicy& p, std::string_view policy_name) {
  std::string out;
  append_sf_string(&out, policy_name);
  out += ";q=";
  out += std::to_string(p.limit);
  out += ";w=";
  out += std::to_string(std::max<int64_t>(ceil_seconds(p.period_ns), 1));
  return out;
}

}  // namespace portcullis::ratelimit
