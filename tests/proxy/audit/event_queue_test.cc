#include "proxy/audit/event_queue.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace portcullis::audit {
namespace {

TEST(EventQueue, BoundedAndFifo) {
  EventQueue<int> q(8);
  EXPECT_EQ(q.capacity(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(q.try_push(i));
  EXPECT_FALSE(q.try_push(99));  // full: the producer is told, never blocked
  int v = -1;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(q.try_pop(v));
    EXPECT_EQ(v, i);
  }
  EXPECT_FALSE(q.try_pop(v));
  EXPECT_TRUE(q.try_push(5));
}

TEST(EventQueue, ManyProducersOneConsumerLoseNothingAccepted) {
  EventQueue<uint64_t> q(1024);
  constexpr int kThreads = 4, kPer = 50000;
  std::atomic<uint64_t> accepted{0}, rejected{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        if (q.try_push(static_cast<uint64_t>(t) << 32 | static_cast<uint64_t>(i))) {
          accepted++;
        } else {
          rejected++;
        }
      }
    });
  }
  std::vector<int> last(kThreads, -1);
  uint64_t popped = 0;
  std::atomic<bool> done{false};
  std::thread joiner([&] {
    for (auto& t : ts) t.join();
    done = true;
  });
  uint64_t v;
  for (;;) {
    bool finished = done.load();
    if (q.try_pop(v)) {
      int t = static_cast<int>(v >> 32), i = static_cast<int>(v & 0xffffffff);
      EXPECT_GT(i, last[t]);  // per-producer order kept
      last[t] = i;
      ++popped;
    } else if (finished) {
      break;
    }
  }
  joiner.join();
  EXPECT_EQ(popped, accepted.load());
  EXPECT_EQ(accepted + rejected, static_cast<uint64_t>(kThreads) * kPer);
}

}  // namespace
}  // namespace portcullis::audit
