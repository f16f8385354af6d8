// RateLimitStage: per-route rate limits (GCRA) and auto-blocking of attack waves, decided locally
// (fixed-memory tables in SharedState) or, with a Redis URL, by one atomic Lua script per request
// shared by every instance on that Redis (redis_scripts.h).
//
// on_request_head:
//   1. allow-listed clients (ctx.bypass_rate_limit, set by access_lists) pass untouched;
//   2. a blocked client is refused (auto_block.status, 403 or 429, Retry-After). The FIRST refusal
//      of each block has reason "auto_block" (the audit stage's P1 event, one per block); later
//      ones "auto_blocked";
//   3. a scanner path is a strike, recorded as a detection of this stage (reason "scanner_probe");
//      the strike that reaches the threshold is refused at once with reason "auto_block";
//   4. every matching rule (method + path) is charged; the first rule over its limit refuses with
//      429 "rate_limited", Retry-After, RateLimit-Policy and RateLimit (draft-ietf-httpapi-
//      ratelimit-headers). A rule in monitor mode only counts (ctx.monitored_block in local mode).
//   Redis mode returns Verdict::Pending and resumes from the reply, or after redis.timeout with
//   the on_failure policy (fail_open: pass; fail_closed: 503 "rate_limit_unavailable"; local: the
//   local tables decide). While Redis is not connected the policy applies synchronously.
// on_complete: a request with detector findings, or refused by the origin lock, is a strike.
//
// Client identity: the resolved client IP (ctx.client_ip, set by origin_lock from
// CF-Connecting-IP); an IPv6 client is keyed by its /64, since one host holds a whole /64 and
// could otherwise rotate addresses per request.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/pipeline/services.h"
#include "proxy/pipeline/stage.h"
#include "proxy/redis/async_client.h"
#include "proxy/stages/rate_limit/auto_block_table.h"
#include "proxy/stages/rate_limit/route_match.h"
#include "proxy/stages/rate_limit/scanner_paths.h"
#include "proxy/stages/rate_limit/shared_state.h"
#include "proxy/stages/rate_limit/user_key.h"
#include "rules/ratelimit/gcra.h"

namespace portcullis::rate_limit {

inline constexpr std::string_view kReasonRateLimited = "rate_limited";
inline constexpr std::string_view kReasonAutoBlock = "auto_block";      // first refusal: P1 event
inline constexpr std::string_view kReasonAutoBlocked = "auto_blocked";  // later refusals
inline constexpr std::string_view kReasonUnavailable = "rate_limit_unavailable";  // fail_closed
inline constexpr std::string_view kReasonScannerProbe = "scanner_probe";  // detection reason

struct CompiledRule {
  uint32_t id = 0;
  std::string name;
  RouteMatch route{{}, "*"};
  config::RateKeyKind key = config::RateKeyKind::kIp;
  std::string key_header;
  ratelimit::GcraPolicy policy;
  bool monitor = false;
  std::string policy_header;  // "RateLimit-Policy: ...\r\n"
  std::string redis_prefix;   // "<prefix>:rl:<name>:"
  std::string t_us, c_us;     // script arguments
};

struct RateLimitSettings {
  std::vector<CompiledRule> rules;
  UserKeySettings user;
  bool auto_block = false;
  AutoBlockPolicy block_policy;
  uint16_t block_status = 403;
  bool count_detections = true, count_origin_lock = true, count_scanner = true;
  ScannerPaths scanner;
  // Redis mode when redis_enabled.
  bool redis_enabled = false;
  redis::Endpoint endpoint;
  redis::ClientOptions client_options;
  std::chrono::milliseconds timeout{50};
  config::RedisFailurePolicy on_failure = config::RedisFailurePolicy::kFailOpen;
  std::string key_prefix = "portcullis";
  std::string decide_sha;  // SHA-1 of kDecideScript (EVALSHA)
};

// The per-request facts a decision needs, extracted once from the request (fixed size, so an
// asynchronous decision can keep a copy after the request context is gone).
struct Prepared {
  static constexpr size_t kMaxMatches = 8;  // rules charged per request, in config order
  char client[64] = {};                     // "1.2.3.4" or "2001:db8::/64"
  uint8_t client_len = 0;
  uint64_t client_hash = 0;  // local table key for blocks
  bool scanner = false;
  uint8_t num_matches = 0;
  struct Match {
    uint16_t rule = 0;
    uint64_t local_key = 0;  // GcraTable key (per-process seed)
    uint64_t fleet_key = 0;  // Redis key suffix (fixed seed: every instance must agree)
  } matches[kMaxMatches];
  std::string_view client_text() const { return {client, client_len}; }
};

// A decision made without Redis (local mode, or the `local` failure policy).
struct LocalDecision {
  pipeline::Verdict verdict;
  bool monitored = false;
  char headers[pipeline::RequestContext::kMaxResponseHeaders] = {};
  uint16_t headers_len = 0;
  std::string_view header_lines() const { return {headers, headers_len}; }
};

class RateLimitStage final : public pipeline::Stage {
 public:
  RateLimitStage(std::shared_ptr<const RateLimitSettings> settings,
                 std::shared_ptr<SharedState> shared);
  std::string_view name() const override { return "rate_limit"; }
  pipeline::Verdict on_request_head(pipeline::RequestContext& ctx) const override;
  void on_complete(const pipeline::RequestContext& ctx) const override;

  // Building blocks, public for tests and the benchmark.
  bool prepare(const pipeline::RequestContext& ctx, Prepared& out) const;  // false: nothing to do
  LocalDecision decide_local(const Prepared& p, int64_t now_ns) const;
  const RateLimitSettings& settings() const { return *s_; }
  SharedState& shared() const { return *shared_; }

 private:
  std::shared_ptr<const RateLimitSettings> s_;
  std::shared_ptr<SharedState> shared_;
};

// Compiles the section and applies REDIS_URL / REDIS_PASSWORD from `env`. Returns a null stage
// when there is nothing to do (no rules and auto_block disabled). `shared` may be null (a private
// SharedState is created: tests, tools).
Result<std::unique_ptr<RateLimitStage>> build_rate_limit(const config::RateLimitConfig& cfg,
                                                         const config::EnvLookup& env,
                                                         std::shared_ptr<SharedState> shared);

// Monotonic clock in ns (the local tables' time base).
int64_t monotonic_ns();

}  // namespace portcullis::rate_limit
