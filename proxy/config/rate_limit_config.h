// RateLimitConfig: the `rate_limit:` section (per-route limits, auto-blocking, shared Redis mode).
// Parsed by section_rate_limit.cc; the stage (proxy/stages/rate_limit) compiles it and applies the
// environment (REDIS_URL, REDIS_PASSWORD) when it is built, so a Redis password never lives in
// Config (which to_yaml() prints). Keys: docs/configuration.md, docs/rate-limiting.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::config {

enum class StageMode : uint8_t;  // config.h; value 0 is kEnforce

// Which client a rule counts: the resolved client IP, the user id (header or JWT claim), the
// value of a request header, or the route itself (one bucket shared by every client).
enum class RateKeyKind : uint8_t {
  kIp,
  kUser,
  kHeader,
  kRoute
};  // yaml: ip|user|header:NAME|route

struct RateLimitRule {
  std::string name;                  // policy name in RateLimit headers; default "rule<N>"
  std::vector<std::string> methods;  // uppercase; empty = every method
  // "/login" exact, "/api/*" prefix (matches "/api/" and below, and "/api"), "*" every path.
  // Matched against the path without the query.
  std::string path = "*";
  RateKeyKind key = RateKeyKind::kIp;
  std::string key_header;  // lowercase, for key: header:NAME
  uint64_t limit = 0;      // 1 .. 10^9 requests per period
  std::chrono::milliseconds period{1000};
  uint64_t burst = 0;  // extra requests an idle client may send at once
  StageMode mode{};    // enforce
  bool operator==(const RateLimitRule&) const = default;
};

// key: user. The header wins when present; else the JWT in jwt_header ("Bearer <jwt>" or the bare
// token) is base64url-decoded and `jwt_claim` read. The signature is NOT verified: a forged token
// only picks which bucket is charged, so an attacker gains nothing they could not get with a
// new IP; never use the claim for authorisation. No user -> the rule falls back to the client IP.
struct UserKeyConfig {
  std::string header;                        // lowercase; "" = none
  std::string jwt_header = "authorization";  // lowercase; "" = no JWT
  std::string jwt_claim = "sub";
  bool operator==(const UserKeyConfig&) const = default;
};

// A client (by resolved IP) that collects `threshold` strikes within `window` is refused for
// `duration`. Strikes: detector findings (per request, not per finding), origin-lock violations,
// and requests for scanner paths (.env, /wp-admin/, .git/config, backup files...).
struct AutoBlockConfig {
  bool enabled = false;
  uint32_t threshold = 20;  // 1 .. 1000000
  std::chrono::milliseconds window{60000};
  std::chrono::milliseconds duration{600000};
  uint16_t status = 403;  // 403 or 429
  bool count_detections = true;
  bool count_origin_lock = true;
  bool count_scanner = true;
  std::vector<std::string> scanner_paths;  // extra patterns, same grammar as the shipped list
  bool operator==(const AutoBlockConfig&) const = default;
};

// What a decision does when Redis is down or slower than `timeout`.
enum class RedisFailurePolicy : uint8_t { kFailOpen, kFailClosed, kLocal };  // fail_open|...|local

// TLS to Redis (a rediss:// URL): the server certificate is verified against ca_file (else the
// system store) and the URL's host (or server_name); cert_file + key_file for mutual TLS.
struct RedisTlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;  // "" = the URL's host
  bool verify = true;       // false only for tests: anyone on the path could answer
  bool operator==(const RedisTlsConfig&) const = default;
};

struct RedisConfig {
  // "redis[s]://[:password@]host:port[/db]"; "" = local mode. REDIS_URL overrides it.
  std::string url;
  RedisTlsConfig tls;
  std::chrono::milliseconds timeout{50};
  RedisFailurePolicy on_failure = RedisFailurePolicy::kFailOpen;
  std::string key_prefix = "portcullis";
  bool operator==(const RedisConfig&) const = default;
};

struct RateLimitConfig {
  StageMode mode{};  // enforce; per-rule modes refine it; off disables rules and auto-block
  uint64_t table_size = 1 << 20;  // local GCRA entries (fixed memory, 16 bytes each)
  UserKeyConfig user;
  std::vector<RateLimitRule> rules;
  AutoBlockConfig auto_block;
  RedisConfig redis;
  bool operator==(const RateLimitConfig&) const = default;
};

std::string_view to_string(RateKeyKind k);
std::string_view to_string(RedisFailurePolicy p);

inline constexpr std::string_view kEnvRedisUrl = "REDIS_URL";
inline constexpr std::string_view kEnvRedisPassword = "REDIS_PASSWORD";

}  // namespace portcullis::config
