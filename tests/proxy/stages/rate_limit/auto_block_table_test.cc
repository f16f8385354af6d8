#include "proxy/stages/rate_limit/auto_block_table.h"

#include <gtest/gtest.h>

namespace portcullis::rate_limit {
namespace {

constexpr int64_t kSec = 1'000'000'000;

AutoBlockPolicy Policy(uint32_t threshold, int64_t window_s, int64_t duration_s) {
  return AutoBlockPolicy{threshold, window_s * kSec, duration_s * kSec};
}

TEST(AutoBlockTable, ThresholdWithinWindowBlocks) {
  AutoBlockTable t(1024);
  auto p = Policy(3, 10, 60);
  EXPECT_FALSE(t.strike(42, p, 0).blocked);
  EXPECT_FALSE(t.strike(42, p, 1 * kSec).blocked);
  EXPECT_FALSE(t.check(42, 2 * kSec).blocked);
  auto st = t.strike(42, p, 9 * kSec);  // third strike inside the 10 s window
  EXPECT_TRUE(st.blocked);
  EXPECT_FALSE(st.first);  // announced by the first refused request, not by the strike
  EXPECT_EQ(st.remaining_ns, 60 * kSec);
  EXPECT_FALSE(t.check(43, 9 * kSec).blocked);  // another client is not affected
}

TEST(AutoBlockTable, WindowExpiryResetsStrikes) {
  AutoBlockTable t(1024);
  auto p = Policy(3, 10, 60);
  t.strike(7, p, 0);
  t.strike(7, p, 5 * kSec);
  EXPECT_FALSE(t.strike(7, p, 10 * kSec).blocked);  // window [0,10s) over: count restarts at 1
  EXPECT_FALSE(t.strike(7, p, 11 * kSec).blocked);
  EXPECT_TRUE(t.strike(7, p, 12 * kSec).blocked);
}

TEST(AutoBlockTable, AnnouncedExactlyOnceAndExpires) {
  AutoBlockTable t(1024);
  auto p = Policy(1, 10, 60);
  ASSERT_TRUE(t.strike(9, p, 0).blocked);
  auto first = t.check(9, 1 * kSec);
  EXPECT_TRUE(first.blocked);
  EXPECT_TRUE(first.first);
  EXPECT_EQ(first.remaining_ns, 59 * kSec);
  for (int i = 0; i < 5; ++i) {
    auto again = t.check(9, 2 * kSec);
    EXPECT_TRUE(again.blocked);
    EXPECT_FALSE(again.first);
  }
  EXPECT_FALSE(t.check(9, 60 * kSec).blocked);  // block over
  // Strikes during a block do not extend it.
  ASSERT_TRUE(t.strike(10, p, 0).blocked);
  EXPECT_FALSE(t.strike(10, p, 30 * kSec).blocked);
  EXPECT_FALSE(t.check(10, 60 * kSec).blocked);
}

TEST(AutoBlockTable, AnnounceOnStrike) {
  AutoBlockTable t(1024);
  auto p = Policy(2, 10, 60);
  t.strike(5, p, 0, true);
  auto st = t.strike(5, p, 1, true);
  EXPECT_TRUE(st.blocked);
  EXPECT_TRUE(st.first);
  EXPECT_FALSE(t.check(5, 2).first);  // already announced
}

TEST(AutoBlockTable, FloodOfOneStrikeKeysKeepsBlocks) {
  AutoBlockTable t(4096);
  auto p = Policy(1, 10, 600);
  for (uint64_t k = 1; k <= 100; ++k) ASSERT_TRUE(t.strike(k, p, 0).blocked);
  auto flood = Policy(1000, 10, 600);  // strikes that never block
  for (uint64_t k = 1'000'000; k < 2'000'000; ++k) t.strike(k, flood, 1);
  int still = 0;
  for (uint64_t k = 1; k <= 100; ++k) still += t.check(k, 2).blocked ? 1 : 0;
  EXPECT_EQ(still, 100);
  EXPECT_EQ(t.blocked_count(2), 100u);
  EXPECT_LE(t.memory_bytes(), 4096 * 32 + 64 * 1024);
}

TEST(AutoBlockTable, ExplicitBlock) {
  AutoBlockTable t(64);
  t.block(77, 0, 5 * kSec);
  auto st = t.check(77, 1);
  EXPECT_TRUE(st.blocked);
  EXPECT_FALSE(st.first);  // learnt elsewhere: the event was already emitted there
  EXPECT_FALSE(t.check(77, 5 * kSec).blocked);
}

}  // namespace
}  // namespace portcullis::rate_limit
