// GcraTable: fixed-memory, thread-safe store of GCRA TATs for many keys.
//
// Memory is allocated once in the constructor and never grows: a flood of distinct keys (one
// per spoofed client, per random path...) evicts entries instead of allocating (Pingora's habit:
// "rate-limit memory is fixed however many keys arrive").
//
// Layout: a set-associative cache. The key picks one set of kWays = 8 entries (16 bytes each,
// 128 bytes = two cache lines); a lookup scans those 8 entries only. A new key takes, in order:
// an empty entry, an entry whose TAT is in the past (its bucket is full again, so forgetting it
// changes no decision), or else the entry with the smallest TAT. Evicting the smallest TAT is the
// least harmful choice: that client is closest to a full bucket, and forgetting it grants it at
// most C - its remaining requests. A key being actively limited has TAT ~ now + C*T while a
// flood key that sent one request has TAT ~ now + T, so hot limited keys survive floods
// (tests/rules/ratelimit: 1,000,000 distinct keys through 10,000 slots).
//
// Concurrency: sets are guarded by striped spinlocks (a stripe per cache line, sets mapped
// round-robin); the critical section is one 8-entry scan, so spinning beats a futex here.
// Key 0 is reserved for "empty" and is remapped; keys should be hashes (hash.h), and the set
// index is derived through mix64 so that even raw integers spread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "rules/ratelimit/gcra.h"

namespace portcullis::ratelimit {

class GcraTable {
 public:
  static constexpr size_t kWays = 8;

  // Slots are capacity rounded up to a multiple of kWays (at least one set). lock_stripes is
  // rounded up to a power of two and capped below the number of sets; 0 picks 256.
  explicit GcraTable(size_t capacity, size_t lock_stripes = 0);
  GcraTable(const GcraTable&) = delete;
  GcraTable& operator=(const GcraTable&) = delete;

  // Decide and record one request of `key` under `policy` at now_ns (a monotonic clock, >= 0).
  // Never allocates. A denied request for an unknown key (cost > limit + burst) stores nothing.
  GcraDecision check(uint64_t key, const GcraPolicy& policy, int64_t now_ns, uint32_t cost = 1);

  size_t capacity() const { return sets_ * kWays; }
  size_t memory_bytes() const;

  struct Stats {
    uint64_t inserts = 0;         // new keys stored
    uint64_t live_evictions = 0;  // entries with a future TAT that were displaced
  };
  Stats stats() const;  // takes every stripe lock; for metrics, not the data path
  // Entries with TAT > now_ns (tests and metrics; takes every stripe lock).
  size_t live_entries(int64_t now_ns) const;

 private:
  struct Entry {
    uint64_t key;
    int64_t tat;
  };
  struct alignas(64) Stripe {
    std::atomic<bool> locked{false};
    Stats stats;
    void lock();
    void unlock() { locked.store(false, std::memory_order_release); }
  };

  size_t sets_ = 0;
  size_t stripe_mask_ = 0;
  // calloc: a fresh zeroed mapping, so untouched slots cost no resident memory (a 16 MiB table
  // for 1M keys only becomes RSS as clients arrive). All-zero is the empty entry.
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<Entry[], FreeDeleter> entries_;
  std::unique_ptr<Stripe[]> stripes_;
};

}  // namespace portcullis::ratelimit
