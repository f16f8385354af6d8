#include "rules/ratelimit/gcra.h"

#include <gtest/gtest.h>

namespace portcullis::ratelimit {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;

GcraPolicy policy(uint64_t limit, int64_t period, uint64_t burst = 0) {
  Result<GcraPolicy> p = GcraPolicy::make(limit, period, burst);
  EXPECT_TRUE(p.ok());
  return *p;
}

TEST(GcraPolicy, Validation) {
  EXPECT_FALSE(GcraPolicy::make(0, kSec).ok());
  EXPECT_FALSE(GcraPolicy::make(10, 0).ok());
  EXPECT_FALSE(GcraPolicy::make(10, -kSec).ok());
  EXPECT_FALSE(GcraPolicy::make(11, 10).ok());  // T would be 0 ns
  EXPECT_FALSE(GcraPolicy::make(1, kSec, ~0ULL).ok());
  EXPECT_FALSE(GcraPolicy::make(1, 86400 * kSec, 1'000'000'000).ok());  // C*T overflows
  GcraPolicy p = policy(10, kSec, 5);
  EXPECT_EQ(p.emission_interval_ns, 100 * kMs);
  EXPECT_EQ(p.capacity_ns, 1500 * kMs);
  EXPECT_EQ(policy(3, kSec).emission_interval_ns, 333'333'333);  // rounded down
}

// limit 10/s, burst 0: an idle key may send exactly 10 at once; the 11th waits exactly T.
TEST(Gcra, ExactlyLimitAllowedAtTimeZero) {
  GcraPolicy p = policy(10, kSec);
  int64_t tat = 0;
  for (uint64_t i = 0; i < 10; ++i) {
    GcraDecision d = gcra_check(p, &tat, 0);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 9 - i);
    EXPECT_EQ(d.retry_after_ns, 0);
    EXPECT_EQ(d.reset_after_ns, static_cast<int64_t>(i + 1) * 100 * kMs);
  }
  GcraDecision d = gcra_check(p, &tat, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.retry_after_ns, 100 * kMs);
  EXPECT_EQ(d.reset_after_ns, kSec);
  EXPECT_EQ(tat, kSec);  // denials do not move TAT
  // retry_after is exact: 1 ns early is denied (and says 1 ns), on time is allowed.
  d = gcra_check(p, &tat, 100 * kMs - 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ns, 1);
  d = gcra_check(p, &tat, 100 * kMs);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_FALSE(gcra_check(p, &tat, 100 * kMs).allowed);
}

TEST(Gcra, NonDivisiblePeriodStillAllowsExactlyLimit) {
  GcraPolicy p = policy(3, kSec);
  int64_t tat = 0;
  EXPECT_TRUE(gcra_check(p, &tat, 0).allowed);
  EXPECT_TRUE(gcra_check(p, &tat, 0).allowed);
  EXPECT_TRUE(gcra_check(p, &tat, 0).allowed);
  GcraDecision d = gcra_check(p, &tat, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ns, 333'333'333);
}

TEST(Gcra, BurstAddsToCapacity) {
  GcraPolicy p = policy(10, kSec, 5);
  int64_t tat = 0;
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += gcra_check(p, &tat, 0).allowed;
  EXPECT_EQ(allowed, 15);
  // Refill at the sustained rate, not faster.
  allowed = 0;
  for (int64_t t = 0; t <= kSec; t += kMs) allowed += gcra_check(p, &tat, t).allowed;
  EXPECT_EQ(allowed, 10);
}

TEST(Gcra, FullRefillAfterIdlePeriodAndNoCarryBeyondCapacity) {
  GcraPolicy p = policy(10, kSec);
  int64_t tat = 0;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(gcra_check(p, &tat, 0).allowed);
  // A long idle time does not bank more than C requests.
  int allowed = 0;
  for (int i = 0; i < 50; ++i) allowed += gcra_check(p, &tat, 100 * kSec).allowed;
  EXPECT_EQ(allowed, 10);
}

TEST(Gcra, HammeringGetsExactLongRunRate) {
  // One request every ms for 10 s: 10 at the start, then one per 100 ms (t = 100ms..9900ms).
  GcraPolicy p = policy(10, kSec);
  int64_t tat = 0;
  int allowed = 0;
  for (int64_t t = 0; t < 10 * kSec; t += kMs) allowed += gcra_check(p, &tat, t).allowed;
  EXPECT_EQ(allowed, 109);
}

TEST(Gcra, SteadyClientAtExactRateIsNeverDenied) {
  GcraPolicy p = policy(7, kSec);  // T = 142857142 ns
  int64_t tat = 0;
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(gcra_check(p, &tat, i * p.emission_interval_ns).allowed) << i;
  }
}

TEST(Gcra, CostAndPeek) {
  GcraPolicy p = policy(10, kSec);
  int64_t tat = 0;
  GcraDecision d = gcra_check(p, &tat, 0, 4);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 6u);
  d = gcra_check(p, &tat, 0, 7);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 6u);  // a smaller request would still pass
  EXPECT_EQ(d.retry_after_ns, 100 * kMs);
  d = gcra_check(p, &tat, 0, 0);  // peek
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 6u);
  EXPECT_EQ(tat, 400 * kMs);
  d = gcra_check(p, &tat, 0, 11);  // can never pass
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ns, GcraDecision::kNever);
  EXPECT_EQ(tat, 400 * kMs);
}

TEST(GcraHeaders, RetryAfterAndRateLimitFields) {
  GcraPolicy p = policy(10, kSec);
  int64_t tat = 0;
  GcraDecision first = gcra_check(p, &tat, 0);
  EXPECT_EQ(format_retry_after(first), "");
  EXPECT_EQ(format_ratelimit(first, "default"), "\"default\";r=9;t=1");
  for (int i = 0; i < 9; ++i) (void)gcra_check(p, &tat, 0);
  GcraDecision denied = gcra_check(p, &tat, 0);
  ASSERT_FALSE(denied.allowed);
  EXPECT_EQ(format_retry_after(denied), "1");  // 100 ms rounds up to 1 s
  EXPECT_EQ(format_ratelimit(denied, "default"), "\"default\";r=0;t=1");
  EXPECT_EQ(format_ratelimit_policy(p, "default"), "\"default\";q=10;w=1");

  GcraPolicy hourly = policy(100, 3600 * kSec, 20);
  EXPECT_EQ(format_ratelimit_policy(hourly, "api \"v1\"\\x\n"),
            "\"api \\\"v1\\\"\\\\x\";q=100;w=3600");
  int64_t t2 = 0;
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(gcra_check(hourly, &t2, 0).allowed);
  GcraDecision d = gcra_check(hourly, &t2, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(format_retry_after(d), "36");  // T = 36 s exactly
  EXPECT_EQ(format_ratelimit(d, "h"), "\"h\";r=0;t=4320");
  d = gcra_check(hourly, &t2, 36 * kSec - 1);
  EXPECT_EQ(format_retry_after(d), "1");  // 1 ns -> at least 1 s
  EXPECT_EQ(format_ratelimit_policy(policy(1, 10 * kMs), "x"), "\"x\";q=1;w=1");
}

}  // namespace
}  // namespace portcullis::ratelimit
