// ECS JSON encoding of an Event (docs/audit-events.md, docs/audit-event.schema.json): one object,
// nested ECS field sets, empty fields omitted. Appends to a reused buffer, no other allocation.
#pragma once

#include <string>

#include "proxy/audit/event.h"

namespace portcullis::audit {

inline constexpr std::string_view kEcsVersion = "8.11.0";

// Appends the event as one JSON object (no trailing newline).
void encode_event(const Event& ev, std::string& out);
// Appends "2024-05-01T12:00:00.123456Z" (RFC 3339, UTC, microseconds).
void format_rfc3339(int64_t time_us, std::string& out);
// The 32 lowercase hex digits of the event id.
void format_event_id(const Event& ev, char out[32]);

}  // namespace portcullis::audit
