#include "proxy/audit/sink_runner.h"

#include <ctime>

#include "proxy/audit/sigpipe.h"
#include "rules/base/glob.h"

namespace portcullis::audit {

using Clock = std::chrono::steady_clock;

bool glob_match(std::string_view p, std::string_view t) { return portcullis::glob_match(p, t); }

namespace {
int64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}
}  // namespace

SinkRunner::SinkRunner(Options opts, std::unique_ptr<Sink> sink, std::unique_ptr<Spool> spool,
                       DropAnnouncer announce)
    : opts_(std::move(opts)),
      sink_(std::move(sink)),
      spool_(std::move(spool)),
      announce_(std::move(announce)),
      confirm_after_(sink_->confirm_after()) {
  // Events left in the spool by a previous run are replayed first.
  spooling_ = !spool_->empty();
}

SinkRunner::~SinkRunner() { stop(std::chrono::milliseconds(0)); }

void SinkRunner::start() {
  thread_ = std::thread([this] { run(); });
}

void SinkRunner::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
    stop_deadline_ = Clock::now() + grace;
  }
  cv_.notify_all();
  thread_.join();
}

bool SinkRunner::accepts(uint8_t priority, std::string_view action) const {
  if (priority > opts_.min_priority) return false;
  if (opts_.actions.empty()) return true;
  for (const std::string& g : opts_.actions) {
    if (glob_match(g, action)) return true;
  }
  return false;
}

void SinkRunner::spool_append_locked(const Record& r) {
  if (spool_->append(r)) {
    spooled_++;
  } else {
    dropped_++;
    dropped_unannounced_++;
  }
}

void SinkRunner::offer(Record r) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!spooling_ && mem_.size() < opts_.memory_records) {
    mem_.push_back(std::move(r));
    if (mem_.size() - mem_out_ >= opts_.batch_max) cv_.notify_one();
    return;
  }
  if (!spooling_) {
    // Slow sink: the backlog is full. Keep order: everything in memory goes first.
    for (const Record& m : mem_) spool_append_locked(m);
    mem_.clear();
    mem_out_ = 0;
    pending_.clear();
    ++epoch_;
    spooling_ = true;
  }
  spool_append_locked(r);
}

void SinkRunner::end_of_batch() {
  std::lock_guard<std::mutex> lk(mu_);
  if (spooling_) (void)spool_->flush();
}

void SinkRunner::fail_locked() {
  if (spooling_) {
    spool_->rewind();
  } else {
    for (const Record& m : mem_) spool_append_locked(m);
    mem_.clear();
    mem_out_ = 0;
    ++epoch_;
    spooling_ = true;
    (void)spool_->flush();
  }
  pending_.clear();
}

void SinkRunner::confirm_locked(size_t count, const std::vector<int64_t>& created) {
  if (spooling_) {
    spool_->ack(count);
  } else {
    for (size_t i = 0; i < count && !mem_.empty(); ++i) mem_.pop_front();
    mem_out_ -= std::min(mem_out_, count);
  }
  sent_ += count;
  int64_t now = now_us();
  for (int64_t c : created) {
    double ms = static_cast<double>(now - c) / 1000.0;
    size_t b = 0;
    while (b < kLatencyBucketsMs.size() && ms > kLatencyBucketsMs[b]) ++b;
    latency_[b]++;
    latency_sum_us_ += static_cast<uint64_t>(now > c ? now - c : 0);
  }
}

void SinkRunner::run() {
  block_sigpipe_in_this_thread();  // sinks write to sockets and pipes that may vanish
  std::vector<Record> batch;
  std::chrono::milliseconds backoff(100);
  Clock::time_point next_attempt{};
  Clock::time_point last_poll{};
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    Clock::time_point now = Clock::now();
    if (now - last_poll >= std::chrono::milliseconds(100)) {
      last_poll = now;
      lk.unlock();
      sink_->poll();
      // Drops inside the sink (e.g. the Slack outbox) are announced when the sink says it is back.
      uint64_t sink_drops = sink_->take_unannounced_drops();
      if (sink_drops > 0 && announce_) announce_(opts_.name, sink_drops);
      lk.lock();
    }
    // Confirm batches that survived confirm_after on a live connection; resend on a broken one.
    if (!pending_.empty()) {
      uint64_t epoch = epoch_;
      lk.unlock();
      bool lost = sink_->connection_lost();
      bool unacked = sink_->unacked_bytes();
      lk.lock();
      if (epoch == epoch_) {
        if (lost) {
          errors_++;
          fail_locked();
        } else {
          while (!pending_.empty() && !unacked && now - pending_.front().at >= confirm_after_) {
            Pending p = std::move(pending_.front());
            pending_.pop_front();
            confirm_locked(p.count, p.created_us);
          }
        }
      }
    }
    if (spooling_ && pending_.empty() && spool_->empty()) {
      spooling_ = false;
      uint64_t dropped = dropped_unannounced_;
      dropped_unannounced_ = 0;
      if (dropped > 0 && announce_) {
        lk.unlock();
        announce_(opts_.name, dropped);
        lk.lock();
      }
    }
    // Next batch.
    batch.clear();
    size_t unconfirmed = 0;
    for (const Pending& p : pending_) unconfirmed += p.count;
    bool from_spool = spooling_;
    if (now >= next_attempt && unconfirmed < 16ull * opts_.batch_max) {
      if (spooling_) {
        spool_->read(opts_.batch_max, batch);
      } else {
        for (size_t i = mem_out_; i < mem_.size() && batch.size() < opts_.batch_max; ++i) {
          batch.push_back(mem_[i]);
        }
      }
    }
    if (batch.empty()) {
      bool idle = pending_.empty() && (spooling_ ? spool_->empty() : mem_.size() == mem_out_);
      if (stop_ && (idle || now >= stop_deadline_)) break;
      cv_.wait_for(lk, std::chrono::milliseconds(stop_ ? 5 : 20));
      continue;
    }
    if (!from_spool) mem_out_ += batch.size();
    uint64_t epoch = epoch_;
    lk.unlock();
    Status st = sink_->deliver(batch);
    lk.lock();
    now = Clock::now();
    if (epoch != epoch_) continue;  // the backlog moved to the spool meanwhile: it resends
    if (!st) {
      errors_++;
      fail_locked();
      next_attempt = now + backoff;
      backoff = std::min(backoff * 2, opts_.backoff_max);
      if (stop_ && now >= stop_deadline_) break;
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    Pending p{batch.size(), now, {}};
    p.created_us.reserve(batch.size());
    for (const Record& r : batch) p.created_us.push_back(r.created_us);
    if (confirm_after_.count() == 0 && pending_.empty()) {
      confirm_locked(p.count, p.created_us);
    } else {
      pending_.push_back(std::move(p));
    }
  }
  // Shutting down: whatever is not confirmed is kept on disk for the next start.
  if (!spooling_) {
    for (const Record& m : mem_) spool_append_locked(m);
    mem_.clear();
    mem_out_ = 0;
  }
  (void)spool_->flush();
}

size_t SinkRunner::backlog() const {
  std::lock_guard<std::mutex> lk(mu_);
  return mem_.size() + spool_->pending();
}

void SinkRunner::render_family(Family f, std::string& out) const {
  const std::string l = "{sink=\"" + opts_.name + "\",type=\"" + opts_.type + "\"}";
  auto sample = [&](const char* name, uint64_t v) {
    out += name;
    out += l;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  switch (f) {
    case Family::kSent:
      return sample("portcullis_audit_sink_sent_total", sent_.load());
    case Family::kSpooled:
      return sample("portcullis_audit_sink_spooled_total", spooled_.load());
    case Family::kDropped:
      return sample("portcullis_audit_sink_dropped_total", dropped());
    case Family::kErrors:
      return sample("portcullis_audit_sink_errors_total", errors_.load());
    case Family::kQueued:
    case Family::kSpoolBytes:
    case Family::kCorrupt: {
      std::lock_guard<std::mutex> lk(mu_);
      if (f == Family::kQueued)
        return sample("portcullis_audit_sink_queued", mem_.size() + spool_->pending());
      if (f == Family::kSpoolBytes)
        return sample("portcullis_audit_sink_spool_bytes", spool_->bytes());
      return sample("portcullis_audit_sink_spool_corrupt_total", spool_->corrupt_records());
    }
    case Family::kLatency:
      break;
  }
  std::string base = "portcullis_audit_delivery_latency_seconds_bucket{sink=\"" + opts_.name +
                     "\",type=\"" + opts_.type + "\",le=\"";
  uint64_t cum = 0;
  for (size_t i = 0; i < kLatencyBucketsMs.size(); ++i) {
    cum += latency_[i].load();
    char le[32];
    snprintf(le, sizeof(le), "%g", kLatencyBucketsMs[i] / 1000.0);
    out += base + le + "\"} " + std::to_string(cum) + "\n";
  }
  cum += latency_[kLatencyBucketsMs.size()].load();
  out += base + "+Inf\"} " + std::to_string(cum) + "\n";
  char sum[32];
  snprintf(sum, sizeof(sum), "%.6f", static_cast<double>(latency_sum_us_.load()) / 1e6);
  out += "portcullis_audit_delivery_latency_seconds_sum" + l + " " + sum + "\n";
  out += "portcullis_audit_delivery_latency_seconds_count" + l + " " + std::to_string(cum) + "\n";
}

}  // namespace portcullis::audit
