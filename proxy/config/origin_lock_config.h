// OriginLockConfig: the `origin_lock:` section (Cloudflare origin lock and real client IP).
// Parsed by section_origin_lock.cc; the stage (proxy/stages/origin_lock) applies the environment
// (ENFORCE_CF_ORIGIN_LOCK, ORIGIN_SHARED_SECRET[_PREVIOUS], CF_IP_RANGES_FILE) when it is built,
// so shared secrets never live in Config (which to_yaml() prints). Keys: docs/configuration.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/base/result.h"

namespace portcullis::config {

// yaml / ENFORCE_CF_ORIGIN_LOCK: true|enforce, monitor, false|off.
enum class LockMode : uint8_t { kOff, kEnforce, kMonitor };
// yaml: 403 | close. close drops the connection without a response: a scanner that hits the origin
// directly learns nothing, not even that an HTTP server answers.
enum class LockAction : uint8_t { kForbidden, kClose };

struct OriginLockConfig {
  LockMode mode = LockMode::kOff;
  LockAction action = LockAction::kForbidden;
  // Mechanism 1: the socket peer must be in the Cloudflare ranges or in trusted_proxies.
  bool require_trusted_peer = true;
  // Trust Cloudflare's published ranges (shipped, or ranges_file). false: only trusted_proxies.
  bool cloudflare_ranges = true;
  std::string ranges_file;                   // "" = shipped list; CF_IP_RANGES_FILE overrides
  std::vector<std::string> trusted_proxies;  // CIDRs, e.g. "127.0.0.1/32" for cloudflared
  // Mechanism 2: shared secret header, values from ORIGIN_SHARED_SECRET(_PREVIOUS). Active when
  // the variable is set; require_secret makes a missing variable a start-up error (fail closed).
  std::string secret_header = "x-origin-secret";  // stored lowercase
  bool require_secret = false;
  // Mechanism 3: Authenticated Origin Pulls (mTLS). Refused at load until TLS listeners exist.
  bool authenticated_origin_pulls = false;
  std::vector<std::string> allowed_hosts;  // lowercase, without port; empty = any host
  // Use CF-Connecting-IP from trusted peers as the client address. Unset: on when mode != off.
  std::optional<bool> real_client_ip;
  bool true_client_ip = false;         // also True-Client-IP (Cloudflare Enterprise)
  uint32_t max_ranges_age_days = 180;  // older shipped/file list: warning + stale metric

  bool real_client_ip_enabled() const { return real_client_ip.value_or(mode != LockMode::kOff); }
  bool operator==(const OriginLockConfig&) const = default;
};

std::string_view to_string(LockMode mode);
// true|enforce, monitor, false|off (the grammar of ENFORCE_CF_ORIGIN_LOCK and `mode:`).
Result<LockMode> parse_lock_mode(std::string_view text);
// "403" | "close".
Result<LockAction> parse_lock_action(std::string_view text);

inline constexpr std::string_view kEnvEnforceOriginLock = "ENFORCE_CF_ORIGIN_LOCK";
inline constexpr std::string_view kEnvOriginSecret = "ORIGIN_SHARED_SECRET";
inline constexpr std::string_view kEnvOriginSecretPrevious = "ORIGIN_SHARED_SECRET_PREVIOUS";
inline constexpr std::string_view kEnvRangesFile = "CF_IP_RANGES_FILE";

}  // namespace portcullis::config
