// SinkRunner: one sink, its own thread, its in-memory backlog and its on-disk spool.
//
// Normal: the Auditor's writer thread offers records into a bounded memory backlog; the runner
// thread delivers them in batches. When the sink fails (error, timeout, lost connection) or the
// backlog is full (slow sink), everything not yet confirmed moves IN ORDER to the spool and the
// runner switches to spooling: new records are appended to the spool and delivery replays it from
// the committed cursor, with exponential backoff between failed attempts. When the spool is fully
// acknowledged the runner returns to memory mode and, if the spool's size limit forced drops,
// announces them with a P1 "audit.events_dropped" event.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/audit/record.h"
#include "proxy/audit/sink.h"
#include "proxy/audit/spool.h"

namespace portcullis::audit {

class SinkRunner {
 public:
  struct Options {
    std::string name;
    std::string type;  // metric label
    uint8_t min_priority = 3;
    std::vector<std::string> actions;  // globs; empty: all
    uint32_t batch_max = 500;
    std::chrono::milliseconds backoff_max{30000};
    size_t memory_records = 4096;
  };
  // Called (from the runner thread) when the sink is back after the spool dropped `count` events.
  using DropAnnouncer = std::function<void(const std::string& sink, uint64_t count)>;

  SinkRunner(Options opts, std::unique_ptr<Sink> sink, std::unique_ptr<Spool> spool,
             DropAnnouncer announce);
  ~SinkRunner();
  void start();
  // Delivers what it can within `grace`, then spools the rest and joins the thread.
  void stop(std::chrono::milliseconds grace);

  bool accepts(uint8_t priority, std::string_view action) const;
  void offer(Record r);  // writer thread
  void end_of_batch();   // writer thread: flush the spool (fsync policy)
  void reopen() { sink_->reopen(); }

  // Prometheus text format wants every sample of a family in one group under its # TYPE line,
  // so the Auditor renders family by family and each runner appends its sample(s) of one.
  enum class Family {
    kSent,
    kSpooled,
    kDropped,
    kErrors,
    kQueued,
    kSpoolBytes,
    kCorrupt,
    kLatency
  };
  void render_family(Family f, std::string& out) const;
  uint64_t sent() const { return sent_.load(); }
  uint64_t dropped() const { return dropped_.load() + sink_->dropped(); }
  uint64_t spooled() const { return spooled_.load(); }
  uint64_t errors() const { return errors_.load(); }
  size_t backlog() const;  // memory + spool, not yet confirmed
  const std::string& name() const { return opts_.name; }

  static constexpr std::array<double, 10> kLatencyBucketsMs{1,   5,    10,   50,    100,
                                                            500, 1000, 5000, 30000, 300000};

 private:
  struct Pending {
    size_t count;
    std::chrono::steady_clock::time_point at;
    std::vector<int64_t> created_us;
  };
  void run();
  void fail_locked();  // move everything unconfirmed to the spool / rewind it
  void confirm_locked(size_t count, const std::vector<int64_t>& created);
  void spool_append_locked(const Record& r);

  Options opts_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<Spool> spool_;
  DropAnnouncer announce_;
  std::chrono::milliseconds confirm_after_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Record> mem_;  // [handed out, unconfirmed][waiting]
  size_t mem_out_ = 0;      // how many of mem_ are handed out
  bool spooling_ = false;
  uint64_t epoch_ = 0;  // bumped when mem_ is moved to the spool under the runner's feet
  std::deque<Pending> pending_;
  uint64_t dropped_unannounced_ = 0;
  bool stop_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::thread thread_;

  std::atomic<uint64_t> sent_{0}, spooled_{0}, dropped_{0}, errors_{0};
  std::array<std::atomic<uint64_t>, kLatencyBucketsMs.size() + 1> latency_{};
  std::atomic<uint64_t> latency_sum_us_{0};
};

// Shell-style glob with '*' only (config "actions" filters and priority rules).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace portcullis::audit
