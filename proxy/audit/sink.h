// Sink: one destination of the audit stream. Called only from its SinkRunner thread, so a sink may
// block on I/O (bounded by its timeout) without touching the request path or other sinks.
#pragma once

#include <chrono>
#include <span>
#include <string_view>

#include "proxy/audit/record.h"
#include "rules/base/result.h"

namespace portcullis::audit {

class Sink {
 public:
  virtual ~Sink() = default;
  // Delivers the records in order. Ok means handed over; for sinks with confirm_after() > 0 the
  // runner still keeps them until the connection has survived that long (see syslog_sink.h).
  virtual Status deliver(std::span<const Record> batch) = 0;
  // Transports without application acknowledgements (TCP/TLS syslog) return > 0.
  virtual std::chrono::milliseconds confirm_after() const { return std::chrono::milliseconds(0); }
  // True when the connection used by the last deliveries broke (their records must be resent).
  virtual bool connection_lost() { return false; }
  // True while bytes written are not yet acknowledged by the peer's TCP (SIOCOUTQ > 0).
  virtual bool unacked_bytes() { return false; }
  // Called at least every 100 ms by the runner (aggregation windows, retries of alerts).
  virtual void poll() {}
  // SIGUSR1: reopen files (logrotate moved them).
  virtual void reopen() {}
  // Events the sink itself had to discard after accepting them (e.g. the Slack outbox overflowed):
  // a monotonic count, added to the sink's dropped metric. Any thread.
  virtual uint64_t dropped() const { return 0; }
  // Called by the runner after poll(): the number of such drops to announce now (the sink decides
  // it is back), and forgets them. The runner emits the P1 "audit.events_dropped" event.
  virtual uint64_t take_unannounced_drops() { return 0; }
};

}  // namespace portcullis::audit
