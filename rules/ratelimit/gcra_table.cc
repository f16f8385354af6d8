#include "rules/ratelimit/gcra_table.h"

#include <bit>
#include <cstdlib>
#include <thread>

#include "rules/ratelimit/hash.h"

namespace portcullis::ratelimit {
namespace {

constexpr uint64_t kEmpty = 0;
constexpr uint64_t kZeroKeyStandIn = 0x9e3779b97f4a7c15ULL;

}  // namespace

void GcraTable::Stripe::lock() {
  // Test-and-test-and-set: spin on a plain load so waiters share the line instead of
  // bouncing it; yield after a while in case the holder was preempted (2-core machines).
  for (int spins = 0;; ++spins) {
    if (!locked.exchange(true, std::memory_order_acquire)) return;
    while (locked.load(std::memory_order_relaxed)) {
      if (++spins > 64) {
        std::this_thread::yield();
        spins = 0;
      } else {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
    }
  }
}

GcraTable::GcraTable(size_t capacity, size_t lock_stripes) {
  size_t sets = (capacity + kWays - 1) / kWays;
  sets_ = sets < 1 ? 1 : sets;
  size_t stripes = std::bit_ceil(lock_stripes == 0 ? size_t{256} : lock_stripes);
  if (stripes > sets_) stripes = std::bit_floor(sets_);
  stripe_mask_ = stripes - 1;
  entries_.reset(static_cast<Entry*>(std::calloc(sets_ * kWays, sizeof(Entry))));
  if (!entries_) std::abort();  // start-up only: no table, no rate limiting
  stripes_ = std::make_unique<Stripe[]>(stripes);
}

size_t GcraTable::memory_bytes() const {
  return sizeof(*this) + sets_ * kWays * sizeof(Entry) + (stripe_mask_ + 1) * sizeof(Stripe);
}

GcraDecision GcraTable::check(uint64_t key, const GcraPolicy& policy, int64_t now_ns,
                              uint32_t cost) {
  if (key == kEmpty) key = kZeroKeyStandIn;
  // Lemire's multiply-shift range reduction: any set count, no modulo on the hot path.
  const size_t set = static_cast<size_t>((static_cast<__uint128_t>(mix64(key)) * sets_) >> 64);
  Entry* ways = &entries_[set * kWays];
  Stripe& stripe = stripes_[set & stripe_mask_];
  stripe.lock();
  for (size_t w = 0; w < kWays; ++w) {
    if (ways[w].key == key) {
      GcraDecision d = gcra_check(policy, &ways[w].tat, now_ns, cost);
      stripe.unlock();
      return d;
    }
  }
  int64_t tat = now_ns;  // a fresh key has a full bucket
  GcraDecision d = gcra_check(policy, &tat, now_ns, cost);
  if (d.allowed && tat > now_ns) {
    size_t victim = 0;
    bool live = true;
    for (size_t w = 0; w < kWays; ++w) {
      if (ways[w].key == kEmpty || ways[w].tat <= now_ns) {
        victim = w;
        live = false;
        break;
      }
      if (ways[w].tat < ways[victim].tat) victim = w;
    }
    ways[victim] = Entry{key, tat};
    ++stripe.stats.inserts;
    if (live) ++stripe.stats.live_evictions;
  }
  stripe.unlock();
  return d;
}

GcraTable::Stats GcraTable::stats() const {
  Stats total;
  for (size_t s = 0; s <= stripe_mask_; ++s) {
    Stripe& stripe = stripes_[s];
    stripe.lock();
    total.inserts += stripe.stats.inserts;
    total.live_evictions += stripe.stats.live_evictions;
    stripe.unlock();
  }
  return total;
}

size_t GcraTable::live_entries(int64_t now_ns) const {
  size_t n = 0;
  for (size_t set = 0; set < sets_; ++set) {
    Stripe& stripe = stripes_[set & stripe_mask_];
    stripe.lock();
    for (size_t w = 0; w < kWays; ++w) {
      const Entry& e = entries_[set * kWays + w];
      if (e.key != kEmpty && e.tat > now_ns) ++n;
    }
    stripe.unlock();
  }
  return n;
}

}  // namespace portcullis::ratelimit
