#include "rules/ratelimit/gcra_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "rules/ratelimit/hash.h"
#include "tests/support/alloc_counter.h"

namespace portcullis::ratelimit {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;

GcraPolicy policy(uint64_t limit, int64_t period, uint64_t burst = 0) {
  Result<GcraPolicy> p = GcraPolicy::make(limit, period, burst);
  EXPECT_TRUE(p.ok());
  return *p;
}

TEST(GcraTable, SameSemanticsAsPureAlgorithmPerKey) {
  GcraTable table(1024);
  GcraPolicy p = policy(10, kSec);
  for (uint64_t key : {uint64_t{0}, uint64_t{1}, uint64_t{0xdeadbeef}}) {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(table.check(key, p, 0).allowed) << key;
    GcraDecision d = table.check(key, p, 0);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after_ns, 100 * kMs);
  }
  EXPECT_TRUE(table.check(2, p, 0).allowed);  // other keys are independent
  EXPECT_TRUE(table.check(0, p, 100 * kMs).allowed);
  EXPECT_FALSE(table.check(0, p, 100 * kMs).allowed);
  EXPECT_EQ(table.live_entries(0), 4u);
  EXPECT_EQ(table.live_entries(kSec + 100 * kMs), 0u);  // all buckets full again
}

TEST(GcraTable, CapacityRoundsToWholeSets) {
  EXPECT_EQ(GcraTable(10'000).capacity(), 10'000u);
  EXPECT_EQ(GcraTable(1).capacity(), 8u);
  EXPECT_EQ(GcraTable(0).capacity(), 8u);
  EXPECT_EQ(GcraTable(9).capacity(), 16u);
  GcraTable t(1'000'000);
  EXPECT_GE(t.memory_bytes(), 16'000'000u);
  EXPECT_LE(t.memory_bytes(), 16'000'000u + 256 * 64 + 1024);
}

TEST(GcraTable, EvictsSmallestTatFirstAndReusesExpiredEntries) {
  GcraTable table(8);                      // one set
  GcraPolicy p = policy(100, 100 * kSec);  // T = 1 s, C = 100
  // Key k sends 10 + k requests (TAT = 10 + k seconds), except key 5, which sends 1 (TAT 1 s):
  // the smallest TAT sits in the middle of the set, not in the first or last way.
  auto sent = [](uint64_t k) { return k == 5 ? uint64_t{1} : 10 + k; };
  for (uint64_t k = 1; k <= 8; ++k) {
    for (uint64_t i = 0; i < sent(k); ++i) ASSERT_TRUE(table.check(k, p, 0).allowed);
  }
  EXPECT_EQ(table.live_entries(0), 8u);
  ASSERT_TRUE(table.check(100, p, 0).allowed);  // displaces key 5
  EXPECT_EQ(table.stats().live_evictions, 1u);
  // Key 5 was forgotten: it sees a full bucket again (remaining 99 after this request); every
  // other key kept its count.
  EXPECT_EQ(table.check(5, p, 0).remaining, 99u);  // displaces key 100 (TAT 1 s)
  EXPECT_EQ(table.stats().live_evictions, 2u);
  for (uint64_t k : {1, 2, 3, 4, 6, 7, 8}) {
    EXPECT_EQ(table.check(k, p, 0).remaining, 100 - sent(k) - 1) << k;
  }
  EXPECT_EQ(table.stats().live_evictions, 2u);
  // At t = 5 s the entries with TAT <= 5 s are free: inserting evicts no live entry.
  uint64_t before = table.stats().live_evictions;
  ASSERT_TRUE(table.check(200, p, 5 * kSec).allowed);
  EXPECT_EQ(table.stats().live_evictions, before);
}

// A flood of 1,000,000 distinct keys through 10,000 slots: no allocation, fixed memory, and the
// hot keys that are being limited stay limited throughout.
TEST(GcraTable, FloodOfDistinctKeysKeepsMemoryFixedAndHotKeysLimited) {
  GcraTable table(10'000);
  const size_t memory = table.memory_bytes();
  GcraPolicy p = policy(10, 3600 * kSec);  // 10 per hour
  const uint64_t seed = 0x5eed;
  std::vector<uint64_t> hot;
  for (uint64_t i = 0; i < 100; ++i)
    hot.push_back(ratelimit_key(1, "hot-" + std::to_string(i), seed));
  int64_t now = kSec;
  for (uint64_t key : hot) {
    int allowed = 0;
    for (int i = 0; i < 20; ++i) allowed += table.check(key, p, now).allowed;
    ASSERT_EQ(allowed, 10);
  }
  const uint64_t allocations_before = portcullis::testing::allocation_count();
  uint64_t flood_allowed = 0, hot_allowed = 0;
  for (uint64_t i = 0; i < 1'000'000; ++i) {
    now += 1000;  // 1 us per request: the flood spans 1 s, far less than the hot keys' refill
    uint64_t key =
        ratelimit_key(2, std::string_view(reinterpret_cast<const char*>(&i), sizeof(i)), seed);
    flood_allowed += table.check(key, p, now).allowed;
    if (i % 1000 == 0) {
      for (uint64_t h : hot) hot_allowed += table.check(h, p, now).allowed;
    }
  }
  EXPECT_EQ(portcullis::testing::allocation_count(), allocations_before);
  EXPECT_EQ(table.memory_bytes(), memory);
  EXPECT_EQ(flood_allowed, 1'000'000u);  // every new key has a full bucket: that's per-key limiting
  EXPECT_EQ(hot_allowed, 0u);
  EXPECT_LE(table.live_entries(now), table.capacity());
  GcraTable::Stats stats = table.stats();
  EXPECT_EQ(stats.inserts, 1'000'000u + hot.size());
  EXPECT_GT(stats.live_evictions, 980'000u);
  // The hot keys' buckets were never evicted: one more request each is still denied with the
  // exact wait of their original TAT (1 s + 3600 s) minus (C - 1) * T.
  for (uint64_t h : hot) {
    GcraDecision d = table.check(h, p, now);
    ASSERT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after_ns, (kSec + 360 * kSec) - now);
  }
}

// Exactly `limit` requests pass per key however threads interleave (the clock is frozen).
void hammer(GcraTable& table, int threads, uint64_t keys, uint64_t limit, int per_thread) {
  GcraPolicy p = policy(limit, 3600 * kSec);
  std::vector<std::atomic<uint64_t>> allowed(keys);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        for (uint64_t k = 0; k < keys; ++k) {
          uint64_t key = (k * 7 + static_cast<uint64_t>(t)) % keys + 1;
          if (table.check(key, p, 5 * kSec).allowed) allowed[key - 1].fetch_add(1);
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  for (uint64_t k = 0; k < keys; ++k) EXPECT_EQ(allowed[k].load(), limit) << "key " << k + 1;
}

TEST(GcraTable, ConcurrentChecksCountExactly) {
  GcraTable big(4096, 4);  // few stripes: threads contend on locks
  hammer(big, 4, 256, 100, 300);
  GcraTable one_set(8);  // 8 keys, one set, one lock: maximum contention
  hammer(one_set, 4, 8, 1000, 2000);
  EXPECT_EQ(one_set.stats().live_evictions, 0u);
}

TEST(Hash, DeterministicSeededAndSpreads) {
  EXPECT_EQ(hash64("203.0.113.7", 1), hash64("203.0.113.7", 1));
  EXPECT_NE(hash64("203.0.113.7", 1), hash64("203.0.113.7", 2));
  EXPECT_NE(hash64("203.0.113.7", 1), hash64("203.0.113.8", 1));
  EXPECT_NE(ratelimit_key(1, "a", 9), ratelimit_key(2, "a", 9));
  EXPECT_NE(hash64("", 1), hash64(std::string_view("\0", 1), 1));
  // Every length path (0..3, 4..16, 17..48, >48) and a one-bit change flips ~half the bits.
  std::string s(200, 'x');
  for (size_t len = 0; len <= 200; ++len) {
    std::string a = s.substr(0, len);
    for (size_t bit = 0; bit < len * 8; bit += 13) {
      std::string b = a;
      b[bit / 8] = static_cast<char>(b[bit / 8] ^ (1 << (bit % 8)));
      int flipped = __builtin_popcountll(hash64(a, 7) ^ hash64(b, 7));
      EXPECT_GE(flipped, 12) << len << " " << bit;
      EXPECT_LE(flipped, 52) << len << " " << bit;
    }
  }
}

}  // namespace
}  // namespace portcullis::ratelimit
