// Event: one audit record before encoding. Fixed size and trivially copyable so the request path
// copies it into the lock-free queue without allocating (the writer thread encodes it to JSON).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "rules/base/fixed_string.h"

namespace portcullis::audit {

// Bounded inline string: longer input is truncated (and marked with `truncated`).
template <size_t N>
using FixedStr = FixedString<N>;

// Incident classification (docs/audit-events.md "Priorities"). kP4 marks access events.
enum class Priority : uint8_t { kP0 = 0, kP1 = 1, kP2 = 2, kP3 = 3, kP4 = 4 };
constexpr std::string_view priority_name(Priority p) {
  constexpr std::string_view kNames[] = {"P0", "P1", "P2", "P3", "P4"};
  return kNames[static_cast<uint8_t>(p) <= 4 ? static_cast<uint8_t>(p) : 4];
}
// RFC 5424 severity: P0 critical(2), P1 error(3), P2 warning(4), P3 notice(5), P4 info(6).
constexpr uint8_t syslog_severity(Priority p) { return static_cast<uint8_t>(p) + 2; }

enum class EventKind : uint8_t { kAlert, kEvent };  // ECS event.kind: alert | event
enum class Outcome : uint8_t { kSuccess, kFailure, kUnknown };
enum class Mode : uint8_t { kNone, kBlock, kMonitor };

struct Event {
  uint64_t id_hi = 0, id_lo = 0;  // event.id (32 hex digits), assigned by Auditor::emit
  int64_t time_us = 0;            // @timestamp, wall clock
  int64_t request_time_us = 0;    // when the request started (0: not a request event)
  Priority priority = Priority::kP3;
  EventKind kind = EventKind::kAlert;
  Outcome outcome = Outcome::kUnknown;
  Mode mode = Mode::kNone;
  uint16_t status = 0;  // http.response.status_code (0: none)
  uint16_t detections_total = 0;
  uint64_t count = 0;     // portcullis.count (e.g. events dropped), 0: absent
  FixedStr<24> category;  // event.category: web | network | configuration | process
  FixedStr<24> type;      // event.type: denied | allowed | info | change | error
  FixedStr<64> action;    // event.action, e.g. "request_limits.method_not_allowed"
  FixedStr<24> stage;
  FixedStr<16> detector;
  FixedStr<46> source_ip;
  FixedStr<46> client_ip;
  FixedStr<64> request_id;
  FixedStr<16> method;
  FixedStr<256> path;
  FixedStr<256> query;
  FixedStr<200> user_agent;
  FixedStr<40> ray;
  FixedStr<32> trace_id;
  FixedStr<96> location;
  FixedStr<32> fingerprint;
  FixedStr<64> reason;
  FixedStr<256> excerpt;  // already redacted
  FixedStr<200> message;  // free text for non-request events (reload errors, drops)
  FixedStr<32> sink;      // for audit.* events about a sink
};

}  // namespace portcullis::audit
