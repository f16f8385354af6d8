#include "proxy/stages/rate_limit/auto_block_table.h"

#include <bit>
#include <cstdlib>
#include <thread>

#include "rules/ratelimit/hash.h"

namespace portcullis::rate_limit {
namespace {

constexpr uint64_t kEmpty = 0;
constexpr uint64_t kZeroKeyStandIn = 0x9e3779b97f4a7c15ULL;

bool expired(const AutoBlockTable* /*unused*/, int64_t window_end, int64_t blocked_until,
             int64_t now) {
  return window_end <= now && blocked_until <= now;
}

}  // namespace

void AutoBlockTable::Stripe::lock() {
  for (int spins = 0;; ++spins) {
    if (!locked.exchange(true, std::memory_order_acquire)) return;
    while (locked.load(std::memory_order_relaxed)) {
      if (++spins > 64) {
        std::this_thread::yield();
        spins = 0;
      }
    }
  }
}

AutoBlockTable::AutoBlockTable(size_t capacity) {
  size_t sets = (capacity + kWays - 1) / kWays;
  sets_ = sets < 1 ? 1 : sets;
  size_t stripes = std::bit_floor(sets_ < 256 ? sets_ : size_t{256});
  stripe_mask_ = stripes - 1;
  entries_.reset(static_cast<Entry*>(std::calloc(sets_ * kWays, sizeof(Entry))));
  if (!entries_) std::abort();  // start-up only: no table, no rate limiting
  stripes_ = std::make_unique<Stripe[]>(stripes);
}

size_t AutoBlockTable::memory_bytes() const {
  return sizeof(*this) + sets_ * kWays * sizeof(Entry) + (stripe_mask_ + 1) * sizeof(Stripe);
}

size_t AutoBlockTable::set_of(uint64_t key) const {
  return static_cast<size_t>((static_cast<__uint128_t>(ratelimit::mix64(key)) * sets_) >> 64);
}

AutoBlockTable::Entry* AutoBlockTable::find_or_claim(Entry* ways, uint64_t key, int64_t now,
                                                     bool create) {
  for (size_t w = 0; w < kWays; ++w) {
    if (ways[w].key == key) {
      if (expired(this, ways[w].window_end, ways[w].blocked_until, now)) {
        ways[w] = Entry{key, 0, 0, 0, 0};
      }
      return &ways[w];
    }
  }
  if (!create) return nullptr;
  // Victim: empty/expired, else the fewest strikes among unblocked, else the earliest block end.
  size_t victim = kWays;
  for (size_t w = 0; w < kWays; ++w) {
    if (ways[w].key == kEmpty || expired(this, ways[w].window_end, ways[w].blocked_until, now)) {
      victim = w;
      break;
    }
  }
  if (victim == kWays) {
    for (size_t w = 0; w < kWays; ++w) {
      const Entry& e = ways[w];
      if (victim == kWays) {
        victim = w;
        continue;
      }
      const Entry& v = ways[victim];
      bool e_blocked = e.blocked_until > now, v_blocked = v.blocked_until > now;
      if (e_blocked != v_blocked) {
        if (!e_blocked) victim = w;
      } else if (!e_blocked ? e.strikes < v.strikes : e.blocked_until < v.blocked_until) {
        victim = w;
      }
    }
  }
  ways[victim] = Entry{key, 0, 0, 0, 0};
  return &ways[victim];
}

AutoBlockTable::BlockState AutoBlockTable::check(uint64_t key, int64_t now_ns) {
  if (key == kEmpty) key = kZeroKeyStandIn;
  size_t set = set_of(key);
  Stripe& stripe = stripes_[set & stripe_mask_];
  stripe.lock();
  BlockState st;
  Entry* e = find_or_claim(&entries_[set * kWays], key, now_ns, /*create=*/false);
  if (e != nullptr && e->blocked_until > now_ns) {
    st.blocked = true;
    st.remaining_ns = e->blocked_until - now_ns;
    st.first = e->announced == 0;
    e->announced = 1;
  }
  stripe.unlock();
  return st;
}

AutoBlockTable::BlockState AutoBlockTable::strike(uint64_t key, const AutoBlockPolicy& policy,
                                                  int64_t now_ns, bool announce) {
  if (key == kEmpty) key = kZeroKeyStandIn;
  size_t set = set_of(key);
  Stripe& stripe = stripes_[set & stripe_mask_];
  stripe.lock();
  BlockState st;
  Entry* e = find_or_claim(&entries_[set * kWays], key, now_ns, /*create=*/true);
  if (e->blocked_until > now_ns) {
    stripe.unlock();  // already blocked: strikes during a block do not extend it
    return st;
  }
  if (e->window_end <= now_ns) {
    e->window_end = now_ns + policy.window_ns;
    e->strikes = 0;
  }
  if (++e->strikes >= policy.threshold) {
    e->blocked_until = now_ns + policy.duration_ns;
    e->strikes = 0;
    e->window_end = 0;
    e->announced = announce ? 1 : 0;
    st.blocked = true;
    st.first = announce;
    st.remaining_ns = policy.duration_ns;
  }
  stripe.unlock();
  return st;
}

void AutoBlockTable::block(uint64_t key, int64_t now_ns, int64_t duration_ns) {
  if (key == kEmpty) key = kZeroKeyStandIn;
  size_t set = set_of(key);
  Stripe& stripe = stripes_[set & stripe_mask_];
  stripe.lock();
  Entry* e = find_or_claim(&entries_[set * kWays], key, now_ns, /*create=*/true);
  if (e->blocked_until < now_ns + duration_ns) e->blocked_until = now_ns + duration_ns;
  e->announced = 1;
  stripe.unlock();
}

size_t AutoBlockTable::blocked_count(int64_t now_ns) const {
  size_t n = 0;
  for (size_t s = 0; s <= stripe_mask_; ++s) stripes_[s].lock();
  for (size_t i = 0; i < sets_ * kWays; ++i) {
    if (entries_[i].key != kEmpty && entries_[i].blocked_until > now_ns) ++n;
  }
  for (size_t s = 0; s <= stripe_mask_; ++s) stripes_[s].unlock();
  return n;
}

}  // namespace portcullis::rate_limit
