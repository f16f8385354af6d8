// OriginLockStage: only Cloudflare (or a configured trusted proxy) may reach the origin, and the
// client address every later stage sees is the real one.
//
// Decided from the SOCKET PEER, never from a header (STYLE.md: deciding the origin lock from a
// header is the classic mistake; nginx `allow` after `real_ip_header` is the textbook bypass):
//   1. peer in the Cloudflare ranges or trusted_proxies        (require_trusted_peer)
//   2. shared secret header equal to ORIGIN_SHARED_SECRET[_PREVIOUS], constant time
//   3. Authenticated Origin Pulls (mTLS): refused at config load until TLS listeners exist
//   + optional Host allow-list. Every configured mechanism must pass.
// Real client IP: CF-Connecting-IP (and True-Client-IP when enabled) is honoured only from a
// trusted peer; from anyone else it is removed and recorded as "client_ip_spoof". Incoming
// X-Forwarded-For / Forwarded are removed, so the forwarder writes X-Forwarded-For: <client>
// built from the resolved address only. The secret header is always removed before forwarding.
// A VALID secret from an untrusted peer means the secret leaked: block reason and detection
// "secret_from_untrusted_peer" (audit: P0).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/pipeline/stage.h"
#include "proxy/stages/origin_lock/ranges_store.h"
#include "proxy/stages/origin_lock/secret_matcher.h"
#include "rules/net/cidr_set.h"

namespace portcullis::origin_lock {

// Stable block reasons (Verdict::reason, ctx.block_reason) and detection reasons.
inline constexpr std::string_view kReasonUntrustedPeer = "origin_lock_untrusted_peer";
inline constexpr std::string_view kReasonSecretMissing = "origin_secret_missing";
inline constexpr std::string_view kReasonSecretInvalid = "origin_secret_invalid";
inline constexpr std::string_view kReasonSecretLeaked = "secret_from_untrusted_peer";
inline constexpr std::string_view kReasonHostNotAllowed = "origin_host_not_allowed";
inline constexpr std::string_view kReasonClientIpSpoof = "client_ip_spoof";
inline constexpr std::string_view kReasonNoClientCert = "origin_client_cert_missing";

// The configuration with the environment applied and every list parsed.
struct OriginLockSettings {
  config::LockMode mode = config::LockMode::kOff;
  config::LockAction action = config::LockAction::kForbidden;
  bool require_trusted_peer = true;
  bool real_client_ip = false;
  bool true_client_ip = false;
  std::shared_ptr<const net::CidrSet> cloudflare;  // null: Cloudflare ranges not trusted
  net::CidrSet trusted_proxies;
  std::string secret_header = "x-origin-secret";  // lowercase
  SecretMatcher secret;                           // not configured: mechanism 2 off
  std::vector<std::string> allowed_hosts;         // lowercase; "*.example.com" wildcards
  // Mechanism 3, Authenticated Origin Pulls: the TLS client certificate verified against the
  // listener's client_ca (ctx.client_cert_verified, set by the connection).
  bool authenticated_origin_pulls = false;
};

class OriginLockStage final : public pipeline::Stage {
 public:
  explicit OriginLockStage(OriginLockSettings settings);
  std::string_view name() const override { return "origin_lock"; }
  pipeline::Verdict on_request_head(pipeline::RequestContext& ctx) const override;

  bool peer_trusted(const net::IpAddress& peer) const;
  bool host_allowed(std::string_view host_header) const;
  const OriginLockSettings& settings() const { return s_; }

 private:
  pipeline::Verdict violation(std::string_view reason) const;
  OriginLockSettings s_;
};

struct OriginLockBuild {
  std::unique_ptr<OriginLockStage> stage;            // null: lock off and real client IP off
  config::StageMode mode = config::StageMode::kOff;  // the pipeline entry's mode
  std::vector<std::string> warnings;                 // already logged to stderr; for tests
};

// Applies ENFORCE_CF_ORIGIN_LOCK, ORIGIN_SHARED_SECRET, ORIGIN_SHARED_SECRET_PREVIOUS and
// CF_IP_RANGES_FILE, parses trusted_proxies, loads the ranges through `store` (reload guard).
// Errors name the key or variable; a config that can let nobody in, or a lock with no mechanism,
// is an error.
Result<OriginLockBuild> build_origin_lock(const config::OriginLockConfig& cfg,
                                          const config::EnvLookup& env, RangesStore& store);

// Secrets shorter than this are refused: the header crosses Cloudflare and the origin's logs,
// and a short value is guessable by a scanner that found the origin.
inline constexpr size_t kMinSecretBytes = 16;

}  // namespace portcullis::origin_lock
