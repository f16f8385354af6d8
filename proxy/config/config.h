// Portcullis configuration: one YAML file, parsed and validated ONCE at start-up into an immutable
// Config (Coraza / HAProxy style: parse, check, and nothing half-built reaches the data path).
// Every error names file:line:column and the reason; unknown keys are errors so a typo never
// silently runs a default. The loader catches yaml-cpp's exceptions and returns Result<Config>.
// Keys, units and defaults are documented in docs/configuration.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config/access_lists_config.h"
#include "proxy/config/audit_config.h"
#include "proxy/config/custom_rules_config.h"
#include "proxy/config/inspection_config.h"
#include "proxy/config/origin_lock_config.h"
#include "proxy/config/rate_limit_config.h"
#include "rules/base/result.h"

namespace portcullis::config {

// Every protection can run in shadow mode (STYLE.md, Envoy): kMonitor evaluates and logs what it
// would have done but lets the request pass; kOff skips the stage entirely.
enum class StageMode : uint8_t { kEnforce, kMonitor, kOff };  // yaml: enforce | monitor | off
std::string_view to_string(StageMode mode);

// host is stored without brackets; an IPv6 literal is written "[::1]:8080" in YAML and by
// to_string(). "*" and "" mean all addresses and are stored as "0.0.0.0". Listener and admin hosts
// are IP literals ("localhost" is stored as "127.0.0.1") so binding never needs DNS; an origin
// host may be a DNS name.
struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
  bool operator==(const HostPort&) const = default;
};

// yaml: a listen item is "host:port" (plain HTTP) or a map
//   {address: "host:port", tls: {certificates: [{cert: FILE, key: FILE}, ...],
//                                client_ca: FILE, verify_client: off | optional | require,
//                                tls13_only: bool}}
struct TlsCertificateConfig {
  std::string cert_file;
  std::string key_file;
  bool operator==(const TlsCertificateConfig&) const = default;
};
struct TlsListenerConfig {
  std::vector<TlsCertificateConfig> certificates;  // the first is the default (no/unknown SNI)
  std::string client_ca_file;
  enum class VerifyClient : uint8_t {
    kOff,
    kOptional,
    kRequire
  } verify_client = VerifyClient::kOff;
  bool tls13_only = false;
  bool operator==(const TlsListenerConfig&) const = default;
};
struct ListenerConfig {
  HostPort address;  // port 0 = ephemeral port (tests)
  std::optional<TlsListenerConfig> tls;
  bool operator==(const ListenerConfig&) const = default;
};

// yaml durations: "10s", "500ms", "2m", "1h" or a bare integer = milliseconds; > 0 and <= 24h.
struct Timeouts {
  std::chrono::milliseconds request_head{10000};       // whole request head must arrive (slowloris)
  std::chrono::milliseconds body_idle{30000};          // max gap between request body bytes
  std::chrono::milliseconds keepalive_idle{60000};     // idle client connection between requests
  std::chrono::milliseconds upstream_connect{3000};    // TCP connect to the origin
  std::chrono::milliseconds upstream_response{30000};  // request sent -> first byte; idle after
  std::chrono::milliseconds client_write{
      30000};                                    // a client that reads nothing this long is dropped
  std::chrono::milliseconds drain_grace{15000};  // SIGTERM: finish in-flight requests at most this
  bool operator==(const Timeouts&) const = default;
};

// yaml sizes: "16k", "16KiB", "10m", "10MiB", "1g" or bare bytes (k = 1024). Counts are integers.
struct Limits {
  uint32_t max_head_bytes = 16384;              // 1 KiB .. 1 MiB
  uint32_t max_headers = 100;                   // 1 .. 1000
  uint32_t max_target_bytes = 8192;             // request-target; 1 .. max_head_bytes
  uint64_t max_body_bytes = 10ull << 20;        // 0 (no bodies) .. 64 GiB
  uint32_t max_connections_per_worker = 10000;  // 1 .. 1000000
  uint32_t buffer_bytes = 65536;  // bufferevent high watermark per direction (backpressure)
  bool operator==(const Limits&) const = default;
};

// yaml `origin:` accepts "host:port", "http://host:port" (path empty or "/"), or a map
// {address: ..., max_idle: N, retry_idempotent: bool}.
struct UpstreamConfig {
  HostPort address{"127.0.0.1", 3000};
  uint32_t max_idle_per_worker = 64;  // 0 .. 10000 (0 disables pooling)
  bool retry_idempotent = true;       // retry GET/HEAD/... once on a stale pooled connection
  bool operator==(const UpstreamConfig&) const = default;
};

// yaml `admin:` accepts "host:port", "off", or a map {enabled: bool, address: "host:port"}.
struct AdminConfig {
  bool enabled = true;
  HostPort address{"127.0.0.1", 9901};
  bool operator==(const AdminConfig&) const = default;
};

// yaml: stages: { request_limits: {...} }. A stage limit left unset inherits the global limit
// when that one is lower; a stage limit explicitly set larger than the global limit is an error
// (it could never trigger: the parser rejects first).
struct RequestLimitsStageConfig {
  StageMode mode = StageMode::kEnforce;
  std::vector<std::string> allowed_methods{"GET",   "HEAD",   "POST",   "PUT",
                                           "PATCH", "DELETE", "OPTIONS"};  // uppercase tokens
  uint32_t max_uri_bytes = 8192;           // <= limits.max_target_bytes
  uint32_t max_headers = 100;              // <= limits.max_headers
  uint32_t max_header_value_bytes = 8192;  // <= limits.max_head_bytes
  uint64_t max_body_bytes = 10ull << 20;   // <= limits.max_body_bytes
  bool operator==(const RequestLimitsStageConfig&) const = default;
};

// yaml: stages: { response_headers: {...} } — security headers on responses (response phase).
struct ResponseHeadersStageConfig {
  using HeaderList = std::vector<std::pair<std::string, std::string>>;  // name, value
  StageMode mode = StageMode::kEnforce;
  // Added when the origin did not send the header itself (or always, with override_origin).
  HeaderList headers{{"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
                     {"X-Content-Type-Options", "nosniff"},
                     {"X-Frame-Options", "SAMEORIGIN"},
                     {"Referrer-Policy", "strict-origin-when-cross-origin"},
                     {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"}};
  bool override_origin = false;
  std::vector<std::string> remove{"server", "x-powered-by"};  // lowercase; dropped from responses
  bool replace_5xx_body =
      false;  // origin 5xx bodies replaced by a neutral page with the request id
  struct Route {
    std::string path;    // glob on the URL path, e.g. "/embed/*"
    HeaderList headers;  // per-route values; an empty value means "do not add this header"
    std::optional<bool> replace_5xx_body;
    bool operator==(const Route&) const = default;
  };
  std::vector<Route> routes;  // first match wins
  bool operator==(const ResponseHeadersStageConfig&) const = default;
};

struct StagesConfig {
  RequestLimitsStageConfig request_limits;
  ResponseHeadersStageConfig response_headers;
  bool operator==(const StagesConfig&) const = default;
};

struct Config {
  std::string source;  // file path, or "<embedded>"
  // yaml `listen:` string or list of strings; default ["0.0.0.0:8080"]; never empty after load.
  std::vector<ListenerConfig> listeners{ListenerConfig{HostPort{"0.0.0.0", 8080}, std::nullopt}};
  // yaml `workers: auto | N`; resolved at load: auto -> hardware_concurrency() (min 1); max 256.
  uint32_t workers = 0;
  UpstreamConfig upstream;
  Timeouts timeouts;
  Limits limits;
  AdminConfig admin;
  StagesConfig stages;
  OriginLockConfig origin_lock;    // yaml `origin_lock:` (origin_lock_config.h)
  AuditConfig audit;               // yaml `audit:` (audit_config.h)
  InspectionConfig inspection;     // yaml `inspection:` (inspection_config.h)
  AccessListsConfig access_lists;  // yaml `access_lists:` (access_lists_config.h)
  RateLimitConfig rate_limit;      // yaml `rate_limit:` (rate_limit_config.h)
  CustomRulesConfig custom_rules;  // yaml `custom_rules:` (custom_rules_config.h)
  bool operator==(const Config&) const = default;
};

// Built once, then shared read-only by every worker (Envoy: immutable config objects).
using ConfigPtr = std::shared_ptr<const Config>;

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_env();  // getenv
EnvLookup no_env();       // nothing set (tests, --check-config without overrides)

// The config used when no file is given: listen 0.0.0.0:8080, origin 127.0.0.1:3000,
// admin 127.0.0.1:9901, workers auto.
std::string_view embedded_default_config();

// Reads at most 1 MiB; "cannot read <path>: <strerror>" when the file cannot be read.
Result<Config> load_config_file(const std::string& path, const EnvLookup& env);
Result<Config> load_config_string(std::string_view yaml, std::string_view source_name,
                                  const EnvLookup& env);
// path empty -> the embedded default (source "<embedded>"), else load_config_file(path).
Result<Config> load_config(const std::string& path, const EnvLookup& env);

// Environment overrides (applied after the file, validated the same way; an error names the
// variable). A variable that is set but empty is an error, not "unset".
//   PORTCULLIS_LISTEN        host:port, replaces all listeners
//   PORTCULLIS_ORIGIN        host:port or http:// URL (pool settings from the file are kept)
//   PORTCULLIS_WORKERS       auto | N
//   PORTCULLIS_ADMIN_LISTEN  host:port, or "off"
inline constexpr std::string_view kEnvListen = "PORTCULLIS_LISTEN";
inline constexpr std::string_view kEnvOrigin = "PORTCULLIS_ORIGIN";
inline constexpr std::string_view kEnvWorkers = "PORTCULLIS_WORKERS";
inline constexpr std::string_view kEnvAdminListen = "PORTCULLIS_ADMIN_LISTEN";

// The effective configuration as YAML that loads back to an equal Config (for --print-config and
// the admin endpoint); `source` is not emitted. Every field of every section is printed, except
// secrets: load_config_string(to_yaml(c)) == redact_secrets(c), which is c itself unless a URL
// carries a credential. (Shared secrets and REDIS_PASSWORD never enter Config at all.)
std::string to_yaml(const Config& config);

// `config` with the credentials a URL may carry replaced by "[REDACTED]" (the audit excerpt mask):
// the password in rate_limit.redis.url ("redis://[user:]PASSWORD@host"), the whole path of a slack
// sink's url (an incoming-webhook URL is the token) and the query of an http sink's url. Use
// REDIS_PASSWORD / url_env / auth_env to keep them out of the file and out of the printout.
Config redact_secrets(Config config);

}  // namespace portcullis::config
