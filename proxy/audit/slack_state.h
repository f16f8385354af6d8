// SlackState: everything the Slack sink must not lose across a crash: the open aggregation
// windows, the alerts not yet accepted by the webhook, and the alert drops not yet announced.
// SlackSink rewrites it atomically (atomic_file.h) whenever it changes, so events count as
// delivered to the sink only once they are on disk inside a window.
//
// File: "PCSLACK1", u32 body length, u32 CRC-32 (zlib) of the body, body. Body (little endian):
// u64 unannounced_drops, u32 #windows, windows, u32 #alerts, alerts. Window: string key, i64
// opened_ms (wall clock, so it survives a restart), u64 count, u8 priority, strings action,
// detector, sample, u32 #clients, client strings. Alert: string payload, u64 events. Then u32
// #recent ids, each u64 hi + u64 lo.
// A string is u32 length + bytes. Sizes are bounded (kMax*), so the file is at most ~0.5 MiB.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "rules/base/result.h"

namespace portcullis::audit {

struct SlackWindow {
  int64_t opened_ms = 0;
  uint64_t count = 0;
  uint8_t priority = 4;
  std::string action;
  std::string detector;
  std::string sample;             // "GET /path" of the first event (<= kMaxSample)
  std::set<std::string> clients;  // at most kMaxClients kept
  bool operator==(const SlackWindow&) const = default;
};

struct SlackAlert {
  std::string payload;  // {"text": ...}
  uint64_t events = 0;  // events it aggregates (what a drop of it loses)
  bool operator==(const SlackAlert&) const = default;
};

// event.id (32 hex digits) as two numbers.
struct SlackEventId {
  uint64_t hi = 0, lo = 0;
  bool operator==(const SlackEventId&) const = default;
};

struct SlackState {
  static constexpr size_t kMaxWindows = 64;   // distinct (action, detector) keys open at once
  static constexpr size_t kMaxOutbox = 256;   // alerts waiting for the webhook
  static constexpr size_t kMaxClients = 20;   // client ips named per window
  static constexpr size_t kMaxSample = 200;   // bytes of the sample request line
  static constexpr size_t kMaxString = 4096;  // any string field (payloads are < 1 KiB)
  // Ids of the last events counted: a batch the runner sends again (at-least-once: it moved to
  // the spool while being delivered, or a crash came before the spool cursor moved) is not
  // counted twice. Covers the runner's largest unconfirmed batch (batch_max) many times over.
  static constexpr size_t kMaxRecentIds = 4096;

  std::map<std::string, SlackWindow> windows;  // key: "<action>|<detector>"
  std::deque<SlackAlert> outbox;
  uint64_t unannounced_drops = 0;       // events in alerts dropped (outbox overflow, rejection)
  std::deque<SlackEventId> recent_ids;  // oldest first, at most kMaxRecentIds
  bool operator==(const SlackState&) const = default;
};

void encode_slack_state(const SlackState& s, std::string& out);
// Errors: bad magic, checksum mismatch, truncated, or a count beyond the limits above.
Result<SlackState> decode_slack_state(std::string_view in);

}  // namespace portcullis::audit
