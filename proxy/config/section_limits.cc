// timeouts and limits: the bounds that keep one client from holding a worker's time or memory.
#include <array>

#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

struct DurationField {
  std::string_view key;
  std::chrono::milliseconds Timeouts::*field;
};
constexpr std::array<DurationField, 7> kTimeoutFields{{
    {"request_head", &Timeouts::request_head},
    {"body_idle", &Timeouts::body_idle},
    {"keepalive_idle", &Timeouts::keepalive_idle},
    {"upstream_connect", &Timeouts::upstream_connect},
    {"upstream_response", &Timeouts::upstream_response},
    {"client_write", &Timeouts::client_write},
    {"drain_grace", &Timeouts::drain_grace},
}};

// One numeric limit: exactly one of field32 / field64 is set.
struct LimitField {
  std::string_view key;
  bool size_units;  // accepts "16k"; counts do not
  uint64_t min;
  uint64_t max;
  uint32_t Limits::*field32;
  uint64_t Limits::*field64;
};
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr std::array<LimitField, 6> kLimitFields{{
    // Below 1 KiB real browsers fail; above 1 MiB a head is an attack, not a request.
    {"max_head_bytes", true, kKiB, kMiB, &Limits::max_head_bytes, nullptr},
    {"max_headers", false, 1, 1000, &Limits::max_headers, nullptr},
    {"max_target_bytes", true, 16, kMiB, &Limits::max_target_bytes, nullptr},
    {"max_body_bytes", true, 0, 64ull << 30, nullptr, &Limits::max_body_bytes},
    {"max_connections_per_worker", false, 1, 1000000, &Limits::max_connections_per_worker, nullptr},
    {"buffer_bytes", true, 4 * kKiB, 64 * kMiB, &Limits::buffer_bytes, nullptr},
}};

template <typename Fields>
std::vector<std::string_view> keys_of(const Fields& fields) {
  std::vector<std::string_view> keys;
  for (const auto& f : fields) keys.push_back(f.key);
  return keys;
}

}  // namespace

void parse_timeouts_section(const Entry& e, Reader& r, Config& out) {
  static const std::vector<std::string_view> kKeys = keys_of(kTimeoutFields);
  r.for_each_key(e, "timeouts", kKeys, [&](std::string_view key, const Entry& kv) {
    for (const DurationField& f : kTimeoutFields) {
      if (f.key == key)
        r.read(kv, "a duration (e.g. 10s, 500ms)", parse_duration, &(out.timeouts.*f.field));
    }
  });
}

void parse_limits_section(const Entry& e, Reader& r, Config& out) {
  static const std::vector<std::string_view> kKeys = keys_of(kLimitFields);
  r.for_each_key(e, "limits", kKeys, [&](std::string_view key, const Entry& kv) {
    for (const LimitField& f : kLimitFields) {
      if (f.key != key) continue;
      if (f.field32 != nullptr) {
        r.read_number(kv, f.size_units, f.min, f.max, &(out.limits.*f.field32));
      } else {
        r.read_number(kv, f.size_units, f.min, f.max, &(out.limits.*f.field64));
      }
    }
  });
}

void check_limits(Reader& r, Config& c) {
  Limits& l = c.limits;
  if (l.max_target_bytes <= l.max_head_bytes) return;
  if (r.set_at("limits.max_target_bytes") == nullptr) {
    l.max_target_bytes = l.max_head_bytes;  // default inherits a lowered head limit
    return;
  }
  r.error_for("limits.max_target_bytes",
              std::to_string(l.max_target_bytes) + " is larger than limits.max_head_bytes (" +
                  std::to_string(l.max_head_bytes) + "): the request-target is part of the head");
}

}  // namespace portcullis::config
