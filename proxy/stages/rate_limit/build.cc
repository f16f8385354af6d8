// build_rate_limit: config section -> compiled, immutable settings (Coraza style: every error is
// found here, at load or reload, never at request time).
#include <cstdio>

#include "proxy/stages/rate_limit/rate_limit_stage.h"
#include "proxy/stages/rate_limit/redis_scripts.h"

namespace portcullis::rate_limit {
namespace {

std::string micros(int64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1000.0);
  return buf;
}

}  // namespace

Result<std::unique_ptr<RateLimitStage>> build_rate_limit(const config::RateLimitConfig& cfg,
                                                         const config::EnvLookup& env,
                                                         std::shared_ptr<SharedState> shared) {
  if (cfg.rules.empty() && !cfg.auto_block.enabled) return std::unique_ptr<RateLimitStage>();
  auto s = std::make_shared<RateLimitSettings>();
  s->user = UserKeySettings{cfg.user.header, cfg.user.jwt_header, cfg.user.jwt_claim};
  s->key_prefix = cfg.redis.key_prefix;
  uint32_t id = 1;
  for (const config::RateLimitRule& r : cfg.rules) {
    auto policy = ratelimit::GcraPolicy::make(
        r.limit, std::chrono::duration_cast<std::chrono::nanoseconds>(r.period).count(), r.burst);
    if (!policy.ok())
      return make_error("rate_limit.rules '" + r.name + "': " + policy.error().reason);
    CompiledRule c;
    c.id = id++;
    c.name = r.name;
    c.route = RouteMatch(r.methods, r.path);
    c.key = r.key;
    c.key_header = r.key_header;
    c.policy = policy.value();
    c.monitor = r.mode == config::StageMode::kMonitor;
    if (r.mode == config::StageMode::kOff) continue;
    c.policy_header =
        "RateLimit-Policy: " + ratelimit::format_ratelimit_policy(c.policy, r.name) + "\r\n";
    c.redis_prefix = cfg.redis.key_prefix + ":rl:" + r.name + ":";
    c.t_us = micros(c.policy.emission_interval_ns);
    c.c_us = micros(c.policy.capacity_ns);
    s->rules.push_back(std::move(c));
  }
  const config::AutoBlockConfig& ab = cfg.auto_block;
  s->auto_block = ab.enabled;
  s->block_policy.threshold = ab.threshold;
  s->block_policy.window_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(ab.window).count();
  s->block_policy.duration_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(ab.duration).count();
  s->block_status = ab.status;
  s->count_detections = ab.count_detections;
  s->count_origin_lock = ab.count_origin_lock;
  s->count_scanner = ab.count_scanner;
  auto scanner = ScannerPaths::build(ab.scanner_paths);
  if (!scanner.ok()) return scanner.error();
  s->scanner = std::move(scanner).value();

  std::string url = cfg.redis.url;
  if (auto v = env(config::kEnvRedisUrl)) {
    if (v->empty()) return make_error(std::string(config::kEnvRedisUrl) + " is set but empty");
    url = *v;
  }
  if (!url.empty()) {
    auto ep = redis::parse_url(url);
    if (!ep.ok()) return make_error("rate_limit.redis.url / REDIS_URL: " + ep.error().reason);
    s->endpoint = std::move(ep).value();
    const config::RedisTlsConfig& tls = cfg.redis.tls;
    bool tls_set = !tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty() ||
                   !tls.server_name.empty() || !tls.verify;
    if (tls_set && !s->endpoint.tls) {
      // Refusing beats silently speaking cleartext to a server the operator meant to verify.
      return make_error("rate_limit.redis.tls is set but the Redis URL is not rediss://");
    }
    if (s->endpoint.tls) {
      s->endpoint.tls_options =
          redis::TlsOptions{tls.ca_file, tls.cert_file, tls.key_file, tls.server_name, tls.verify};
      auto ctx = redis::make_tls_context(s->endpoint.tls_options);
      if (!ctx.ok()) return make_error("rate_limit.redis.tls: " + ctx.error().reason);
      s->client_options.tls_context = std::move(ctx).value();
      if (!tls.verify) {
        redis::log_line("warn",
                        "rate_limit.redis.tls.verify is false: the Redis server is not "
                        "authenticated");
      }
    }
    if (auto pw = env(config::kEnvRedisPassword); pw && !pw->empty()) s->endpoint.password = *pw;
    s->redis_enabled = true;
    s->timeout = cfg.redis.timeout;
    s->on_failure = cfg.redis.on_failure;
    s->decide_sha = redis::script_sha1(kDecideScript);
    s->client_options.scripts = {std::string(kDecideScript)};
    s->client_options.log_name = "rate_limit redis";
  }
  if (shared == nullptr) shared = SharedState::create(cfg);
  return std::make_unique<RateLimitStage>(std::move(s), std::move(shared));
}

}  // namespace portcullis::rate_limit
