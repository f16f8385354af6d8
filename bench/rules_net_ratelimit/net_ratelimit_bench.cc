// Micro benchmarks: CidrSet lookups (Cloudflare list and a 100,000-entry list, v4 and v6),
// GcraTable checks (one hot key, and 1,000,000 distinct keys), address parsing and key hashing.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "rules/net/cidr_set.h"
#include "rules/net/cloudflare_ranges.h"
#include "rules/net/ip_address.h"
#include "rules/ratelimit/gcra_table.h"
#include "rules/ratelimit/hash.h"

namespace {

using portcullis::net::Cidr;
using portcullis::net::CidrSet;
using portcullis::net::IpAddress;
using portcullis::ratelimit::GcraPolicy;
using portcullis::ratelimit::GcraTable;

constexpr size_t kProbes = 4096;  // power of two

const CidrSet& cloudflare() {
  static const CidrSet set = std::move(portcullis::net::cloudflare_ranges()->set);
  return set;
}

// 100,000 random CIDRs: 50,000 v4 /20../32 and 50,000 v6 /24../64 under 2000::/3 (few merge).
const CidrSet& big_list() {
  static const CidrSet set = [] {
    std::mt19937_64 rng(7);
    std::string text;
    for (int i = 0; i < 100000; ++i) {
      uint64_t r = rng();
      if (i % 2 == 0) {
        unsigned len = 20 + static_cast<unsigned>(r % 13);
        uint32_t v = static_cast<uint32_t>(rng()) & ~(len == 32 ? 0u : (~0u >> len));
        text += IpAddress::from_v4(v).to_string() + "/" + std::to_string(len) + "\n";
      } else {
        unsigned len = 24 + static_cast<unsigned>(r % 41);
        uint64_t hi = 0x2000000000000000ULL | (rng() >> 3);
        hi &= len == 64 ? ~0ULL : ~(~0ULL >> len);
        uint8_t raw[16] = {};
        for (int k = 0; k < 8; ++k) raw[k] = static_cast<uint8_t>(hi >> (56 - 8 * k));
        text += IpAddress::from_v6(raw).to_string() + "/" + std::to_string(len) + "\n";
      }
    }
    return std::move(*CidrSet::parse(text, "bench"));
  }();
  return set;
}

// Probes: half inside the set's own ranges (taken from to_cidrs), half random.
std::vector<IpAddress> probes(const CidrSet& set, bool v4) {
  std::mt19937_64 rng(11);
  std::vector<Cidr> cidrs;
  for (const Cidr& c : set.to_cidrs()) {
    if (c.base.is_v4() == v4) cidrs.push_back(c);
  }
  std::vector<IpAddress> out;
  for (size_t i = 0; i < kProbes; ++i) {
    IpAddress a;
    if (i % 2 == 0 && !cidrs.empty()) {
      a = cidrs[rng() % cidrs.size()].base;
      a.bytes[15] ^= static_cast<uint8_t>(rng() & 1);
    } else if (v4) {
      a = IpAddress::from_v4(static_cast<uint32_t>(rng()));
    } else {
      uint8_t raw[16];
      uint64_t x = rng(), y = rng();
      for (int k = 0; k < 8; ++k) {
        raw[k] = static_cast<uint8_t>(x >> (8 * k));
        raw[8 + k] = static_cast<uint8_t>(y >> (8 * k));
      }
      raw[0] = static_cast<uint8_t>(0x20 | (raw[0] & 0x1f));
      a = IpAddress::from_v6(raw);
    }
    out.push_back(a);
  }
  return out;
}

void lookup(benchmark::State& state, const CidrSet& set, bool v4) {
  std::vector<IpAddress> p = probes(set, v4);
  size_t i = 0, hits = 0;
  for (auto _ : state) {
    hits += set.contains(p[i++ & (kProbes - 1)]);
  }
  benchmark::DoNotOptimize(hits);
  state.counters["ranges"] = static_cast<double>(v4 ? set.v4_range_count() : set.v6_range_count());
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
}

void BM_CidrLookupV4_Cloudflare(benchmark::State& s) { lookup(s, cloudflare(), true); }
void BM_CidrLookupV6_Cloudflare(benchmark::State& s) { lookup(s, cloudflare(), false); }
void BM_CidrLookupV4_100k(benchmark::State& s) { lookup(s, big_list(), true); }
void BM_CidrLookupV6_100k(benchmark::State& s) { lookup(s, big_list(), false); }
BENCHMARK(BM_CidrLookupV4_Cloudflare);
BENCHMARK(BM_CidrLookupV6_Cloudflare);
BENCHMARK(BM_CidrLookupV4_100k);
BENCHMARK(BM_CidrLookupV6_100k);

void BM_ParseIpV4(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(IpAddress::parse("203.0.113.217").ok());
}
void BM_ParseIpV6(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(IpAddress::parse("2606:4700:10::6816:1b5a").ok());
}
BENCHMARK(BM_ParseIpV4);
BENCHMARK(BM_ParseIpV6);

void BM_RateLimitKeyHash(benchmark::State& state) {
  uint64_t h = 0;
  for (auto _ : state) {
    h += portcullis::ratelimit::ratelimit_key(3, "203.0.113.217", h);
  }
  benchmark::DoNotOptimize(h);
}
BENCHMARK(BM_RateLimitKeyHash);

GcraPolicy bench_policy() { return *GcraPolicy::make(100, 1'000'000'000, 20); }

void BM_GcraOneKey(benchmark::State& state) {
  static GcraTable table(10'000);
  GcraPolicy p = bench_policy();
  int64_t now = 1'000'000'000;
  uint64_t allowed = 0;
  for (auto _ : state) {
    now += 1000;
    allowed += table.check(0x1234567, p, now).allowed;
  }
  benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_GcraOneKey);
BENCHMARK(BM_GcraOneKey)->Threads(2);

// 1,000,000 distinct keys cycled through a table that holds them all (16 MB: cache misses
// dominate), and through a 10,000-slot table (every check of a new key evicts).
void gcra_many(benchmark::State& state, size_t capacity) {
  static GcraTable big(1'000'000);
  static GcraTable small(10'000);
  GcraTable& table = capacity == 1'000'000 ? big : small;
  GcraPolicy p = bench_policy();
  int64_t now = 1'000'000'000;
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 500'000;
  uint64_t allowed = 0;
  for (auto _ : state) {
    now += 10;
    uint64_t key = portcullis::ratelimit::mix64(i++ % 1'000'000 + 1);
    allowed += table.check(key, p, now).allowed;
  }
  benchmark::DoNotOptimize(allowed);
}
void BM_Gcra1MKeys_Capacity1M(benchmark::State& s) { gcra_many(s, 1'000'000); }
void BM_Gcra1MKeys_Capacity10k(benchmark::State& s) { gcra_many(s, 10'000); }
BENCHMARK(BM_Gcra1MKeys_Capacity1M);
BENCHMARK(BM_Gcra1MKeys_Capacity1M)->Threads(2);
BENCHMARK(BM_Gcra1MKeys_Capacity10k);

}  // namespace
