// GCRA (Generic Cell Rate Algorithm, ITU-T I.371; the algorithm of redis-cell and of
// "leaky bucket as a meter"): a rate limiter that keeps ONE int64 per key, the theoretical
// arrival time (TAT), and decides with exact integer nanosecond arithmetic.
//
// Semantics (documented precisely because "10 per second" has several readings):
//   T = period / limit, rounded down to whole ns (the emission interval: one request "refills"
//       every T). Rounding down can only make the limiter more permissive by < 1 ns a request.
//   C = limit + burst: the bucket capacity. An idle key may send C requests at once.
//   A request of cost n at time now is allowed iff max(TAT, now) + n*T - now <= C*T; if allowed,
//   TAT becomes max(TAT, now) + n*T. A denied request does not change TAT (denials are free, so
//   a client hammering while limited is not pushed further out).
// So with limit=10, period=1s, burst=0: at t=0 exactly 10 requests pass and the 11th is denied
// with retry_after = 100ms; at t=100ms exactly one more passes; a client sending steadily gets
// 10/s. Like every token bucket, a window of length `period` can see up to C + limit - 1
// requests (a full bucket, then the refill); the long-run rate is exactly limit/period.
// A key whose TAT <= now is indistinguishable from a fresh key: that is what lets GcraTable
// treat such entries as free.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "rules/base/result.h"

namespace portcullis::ratelimit {

struct GcraPolicy {
  uint64_t limit = 0;
  int64_t period_ns = 0;
  uint64_t burst = 0;
  int64_t emission_interval_ns = 0;  // T
  int64_t capacity_ns = 0;           // C * T (the delay variation tolerance plus T)

  // limit >= 1, period_ns >= limit (T >= 1 ns), and C * T must fit in int64.
  static Result<GcraPolicy> make(uint64_t limit, int64_t period_ns, uint64_t burst = 0);
};

struct GcraDecision {
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  bool allowed = false;
  // Requests of cost 1 that would be allowed right now, after this one (0..limit+burst-1).
  uint64_t remaining = 0;
  // Denied: time until this same request would be allowed (kNever if cost > limit + burst).
  // Allowed: 0.
  int64_t retry_after_ns = 0;
  // Time until the bucket is full again (remaining back to limit + burst), i.e. TAT - now.
  int64_t reset_after_ns = 0;
};

// The pure algorithm. *tat is the key's stored TAT (any value <= now_ns means "fresh"; use
// now_ns or 0 for a new key); updated only when allowed. cost 0 is a peek.
GcraDecision gcra_check(const GcraPolicy& policy, int64_t* tat, int64_t now_ns, uint32_t cost = 1);

// Response headers. Delay values are rounded UP to whole seconds so a client that obeys them is
// never early. Policy names are sf-strings (RFC 8941 section 3.3.3): '"' and '\' are escaped,
// bytes outside 0x20..0x7e dropped.
//   Retry-After (RFC 9110 section 10.2.3): delay-seconds, at least 1 when denied; "" if allowed.
std::string format_retry_after(const GcraDecision& d);
//   RateLimit (draft-ietf-httpapi-ratelimit-headers-08+): "name";r=<remaining>;t=<reset s>
std::string format_ratelimit(const GcraDecision& d, std::string_view policy_name);
//   RateLimit-Policy: "name";q=<limit>;w=<period s, rounded up, at least 1>. q is the
//   sustained quota; with burst > 0, r in RateLimit may exceed q by up to burst. Static per
//   policy: compute once at config load.
std::string format_ratelimit_policy(const GcraPolicy& p, std::string_view policy_name);

}  // namespace portcullis::ratelimit
