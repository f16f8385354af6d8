// EventQueue: bounded lock-free multi-producer queue of fixed-size items (Dmitry Vyukov's bounded
// MPMC ring: one CAS per push, a per-slot sequence number instead of a lock). Workers push from the
// request path and never wait: a full queue makes try_push return false and the caller counts a
// drop. One consumer thread (the Auditor writer) pops.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace portcullis::audit {

template <typename T>
class EventQueue {
 public:
  // capacity is rounded up to a power of two (>= 2).
  explicit EventQueue(size_t capacity) {
    size_t c = 2;
    while (c < capacity) c <<= 1;
    mask_ = c - 1;
    slots_ = std::make_unique<Slot[]>(c);
    for (size_t i = 0; i < c; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }
  size_t capacity() const { return mask_ + 1; }

  // Copies `item` in; false when full (never blocks).
  template <typename Fill>
  bool try_push_with(Fill&& fill) {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& s = slots_[pos & mask_];
      size_t seq = s.seq.load(std::memory_order_acquire);
      intptr_t diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          fill(s.item);
          s.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }
  bool try_push(const T& item) {
    return try_push_with([&](T& slot) { slot = item; });
  }

  // Single consumer: pops one item into `out`; false when empty.
  bool try_pop(T& out) {
    size_t pos = head_.load(std::memory_order_relaxed);
    Slot& s = slots_[pos & mask_];
    size_t seq = s.seq.load(std::memory_order_acquire);
    if (static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1) < 0) return false;
    out = s.item;
    head_.store(pos + 1, std::memory_order_relaxed);
    s.seq.store(pos + mask_ + 1, std::memory_order_release);
    return true;
  }

  size_t approx_size() const {
    size_t t = tail_.load(std::memory_order_relaxed), h = head_.load(std::memory_order_relaxed);
    return t >= h ? t - h : 0;
  }

 private:
  struct Slot {
    std::atomic<size_t> seq{0};
    T item{};
  };
  std::unique_ptr<Slot[]> slots_;
  size_t mask_ = 0;
  alignas(64) std::atomic<size_t> tail_{0};
  alignas(64) std::atomic<size_t> head_{0};
};

}  // namespace portcullis::audit
