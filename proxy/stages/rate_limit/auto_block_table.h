// AutoBlockTable: fixed-memory, thread-safe strike counters and blocks per client (local mode,
// and the fallback when Redis is down with on_failure: local).
//
// A client collects strikes (detector findings, origin-lock violations, scanner paths). Strikes
// are counted in a fixed window that starts at the first strike: `threshold` strikes before the
// window ends block the client until now + duration. A fixed window (not sliding) keeps the entry
// at 32 bytes and is what the Redis mode does too (INCR + PEXPIRE), so both modes agree.
//
// Each block is announced once: the first refused request of a block gets first == true (the
// stage gives it the reason "auto_block", later ones "auto_blocked"), so the audit stream emits
// one P1 event per block, not one per request.
//
// Layout and eviction as GcraTable (rules/ratelimit/gcra_table.h): 8-way sets, striped
// spinlocks; a new key takes an empty or expired entry, else the entry with the fewest strikes
// that is not blocked, else the block that ends first. A flood of one-strike keys therefore
// cannot evict active blocks unless the table is full of blocks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace portcullis::rate_limit {

struct AutoBlockPolicy {
  uint32_t threshold = 20;
  int64_t window_ns = 60'000'000'000;
  int64_t duration_ns = 600'000'000'000;
};

class AutoBlockTable {
 public:
  static constexpr size_t kWays = 8;
  explicit AutoBlockTable(size_t capacity);
  AutoBlockTable(const AutoBlockTable&) = delete;
  AutoBlockTable& operator=(const AutoBlockTable&) = delete;

  struct BlockState {
    bool blocked = false;
    bool first = false;        // this call claimed the block's one announcement
    int64_t remaining_ns = 0;  // time until the block ends
  };
  // Is `key` blocked at now_ns? Claims the announcement when not yet claimed.
  BlockState check(uint64_t key, int64_t now_ns);
  // Records one strike. Returns blocked == true when this strike started a block (first is then
  // false: the announcement goes to the first request refused by check(), unless `announce` is
  // set, in which case this call claims it, e.g. the scanner request that crossed the line).
  BlockState strike(uint64_t key, const AutoBlockPolicy& policy, int64_t now_ns,
                    bool announce = false);
  // Blocks `key` until now + duration (e.g. a block learnt from Redis).
  void block(uint64_t key, int64_t now_ns, int64_t duration_ns);

  size_t capacity() const { return sets_ * kWays; }
  size_t memory_bytes() const;
  size_t blocked_count(int64_t now_ns) const;  // takes every lock: metrics, tests

 private:
  struct Entry {
    uint64_t key;
    int64_t window_end;     // strikes count until then
    int64_t blocked_until;  // 0 = not blocked
    uint32_t strikes;
    uint32_t announced;
  };
  struct alignas(64) Stripe {
    std::atomic<bool> locked{false};
    void lock();
    void unlock() { locked.store(false, std::memory_order_release); }
  };
  Entry* find_or_claim(Entry* set, uint64_t key, int64_t now_ns, bool create);
  size_t set_of(uint64_t key) const;

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

}  // namespace portcullis::rate_limit
