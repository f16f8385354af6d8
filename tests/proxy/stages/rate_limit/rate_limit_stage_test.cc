#include "proxy/stages/rate_limit/rate_limit_stage.h"

#include <gtest/gtest.h>

#include "tests/proxy/stages/rate_limit/test_util.h"

namespace portcullis::rate_limit {
namespace {

using pipeline::Action;
using testutil::TestRequest;

constexpr int64_t kSec = 1'000'000'000;

config::Config Load(const std::string& yaml) {
  auto c = config::load_config_string(yaml, "test.yaml", config::no_env());
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().reason);
  return c.ok() ? c.value() : config::Config{};
}

std::unique_ptr<RateLimitStage> Build(const std::string& yaml) {
  config::Config c = Load(yaml);
  auto st = build_rate_limit(c.rate_limit, config::no_env(), nullptr);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().reason);
  return st.ok() ? std::move(st).value() : nullptr;
}

LocalDecision Decide(const RateLimitStage& stage, TestRequest& r, int64_t now) {
  Prepared p;
  stage.prepare(r.Build(), p);
  return stage.decide_local(p, now);
}

const char* kLogin = R"(
rate_limit:
  rules:
    - name: login
      methods: [POST]
      path: /login
      key: ip
      limit: 5
      period: 1m
)";

TEST(RateLimitConfig, ParsesEveryKey) {
  config::Config c = Load(R"(
rate_limit:
  mode: monitor
  table_size: 4096
  user: {header: X-User, jwt_header: authorization, jwt_claim: uid}
  rules:
    - {name: api, methods: [GET, post], path: "/api/*", key: "header:X-Api-Key", limit: 100,
       period: 1s, burst: 20, mode: monitor}
    - {path: /login, key: user, limit: 3, period: 1h}
  auto_block:
    enabled: true
    threshold: 5
    window: 30s
    duration: 15m
    status: 429
    count: [scanner, detections]
    scanner_paths: [secret-admin, "*.inc"]
  redis: {url: "redis://127.0.0.1:6379/1", timeout: 80ms, on_failure: local, key_prefix: pc}
)");
  const config::RateLimitConfig& r = c.rate_limit;
  EXPECT_EQ(r.mode, config::StageMode::kMonitor);
  EXPECT_EQ(r.table_size, 4096u);
  EXPECT_EQ(r.user.header, "x-user");
  EXPECT_EQ(r.user.jwt_claim, "uid");
  ASSERT_EQ(r.rules.size(), 2u);
  EXPECT_EQ(r.rules[0].name, "api");
  EXPECT_EQ(r.rules[0].methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(r.rules[0].key, config::RateKeyKind::kHeader);
  EXPECT_EQ(r.rules[0].key_header, "x-api-key");
  EXPECT_EQ(r.rules[0].burst, 20u);
  EXPECT_EQ(r.rules[0].mode, config::StageMode::kMonitor);
  EXPECT_EQ(r.rules[1].name, "rule1");
  EXPECT_EQ(r.rules[1].key, config::RateKeyKind::kUser);
  EXPECT_EQ(r.rules[1].period, std::chrono::hours(1));
  EXPECT_TRUE(r.auto_block.enabled);
  EXPECT_EQ(r.auto_block.threshold, 5u);
  EXPECT_EQ(r.auto_block.status, 429);
  EXPECT_TRUE(r.auto_block.count_scanner);
  EXPECT_TRUE(r.auto_block.count_detections);
  EXPECT_FALSE(r.auto_block.count_origin_lock);
  EXPECT_EQ(r.auto_block.scanner_paths.size(), 2u);
  EXPECT_EQ(r.redis.timeout, std::chrono::milliseconds(80));
  EXPECT_EQ(r.redis.on_failure, config::RedisFailurePolicy::kLocal);
  EXPECT_EQ(r.redis.key_prefix, "pc");
  EXPECT_TRUE(r.redis.tls.verify);
  config::Config t = Load(R"(
rate_limit:
  rules: [{limit: 1}]
  redis:
    url: "rediss://redis.internal:6380"
    tls: {ca_file: /etc/ca.pem, cert_file: /etc/c.pem, key_file: /etc/c.key,
          server_name: redis.example.com, verify: false}
)");
  EXPECT_EQ(t.rate_limit.redis.url, "rediss://redis.internal:6380");
  EXPECT_EQ(t.rate_limit.redis.tls.ca_file, "/etc/ca.pem");
  EXPECT_EQ(t.rate_limit.redis.tls.cert_file, "/etc/c.pem");
  EXPECT_EQ(t.rate_limit.redis.tls.key_file, "/etc/c.key");
  EXPECT_EQ(t.rate_limit.redis.tls.server_name, "redis.example.com");
  EXPECT_FALSE(t.rate_limit.redis.tls.verify);
}

TEST(RateLimitConfig, RejectsMistakes) {
  const char* bad[] = {
      "rate_limit: {rules: [{path: /x}]}",                                // no limit
      "rate_limit: {rules: [{limit: 0}]}",                                // limit 0
      "rate_limit: {rules: [{limit: 1, path: login}]}",                   // no leading '/'
      "rate_limit: {rules: [{limit: 1, path: '/a*b'}]}",                  // '*' not at the end
      "rate_limit: {rules: [{limit: 1, key: cookie}]}",                   // unknown key kind
      "rate_limit: {rules: [{limit: 1, name: a}, {limit: 2, name: a}]}",  // duplicate name
      "rate_limit: {rules: [{limit: 1, perod: 1s}]}",                     // typo
      "rate_limit: {auto_block: {status: 404}}",
      "rate_limit: {auto_block: {count: [everything]}}",
      "rate_limit: {redis: {url: 'http://h:6379'}}",
      "rate_limit: {redis: {tls: {verify: maybe}}}",
      "rate_limit: {redis: {tls: {ca_fil: /x}}}",
      "rate_limit: {redis: {on_failure: retry}}",
      "rate_limit: {redis: {timeout: 1m}}",
      "rate_limit: {table_size: 10}",
  };
  for (const char* y : bad) {
    EXPECT_FALSE(config::load_config_string(y, "t.yaml", config::no_env()).ok()) << y;
  }
}

TEST(RateLimitStage, NothingConfiguredBuildsNoStage) {
  auto st = build_rate_limit(config::RateLimitConfig{}, config::no_env(), nullptr);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st.value(), nullptr);
}

TEST(RateLimitStage, ExactLimitThenRetryAfterAndHeaders) {
  auto stage = Build(kLogin);
  ASSERT_NE(stage, nullptr);
  TestRequest r;
  r.method = "POST";
  r.target = "/login";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Decide(*stage, r, 100 * kSec).verdict.action, Action::kContinue) << i;
  }
  LocalDecision d = Decide(*stage, r, 100 * kSec);
  EXPECT_EQ(d.verdict.action, Action::kBlock);
  EXPECT_EQ(d.verdict.status, 429);
  EXPECT_EQ(d.verdict.reason, kReasonRateLimited);
  // T = 12 s: the next request is allowed 12 s later; the bucket is full again after 60 s.
  EXPECT_EQ(d.header_lines(),
            "Retry-After: 12\r\nRateLimit-Policy: \"login\";q=5;w=60\r\n"
            "RateLimit: \"login\";r=0;t=60\r\n");
  EXPECT_EQ(Decide(*stage, r, 111 * kSec).verdict.action, Action::kBlock);
  EXPECT_EQ(Decide(*stage, r, 112 * kSec).verdict.action, Action::kContinue);
  EXPECT_EQ(Decide(*stage, r, 112 * kSec).verdict.action, Action::kBlock);
}

TEST(RateLimitStage, OnlyMatchingRequestsAreCounted) {
  auto stage = Build(kLogin);
  TestRequest get;
  get.target = "/login";
  TestRequest other;
  other.method = "POST";
  other.target = "/signup";
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Decide(*stage, get, 0).verdict.action, Action::kContinue);
    EXPECT_EQ(Decide(*stage, other, 0).verdict.action, Action::kContinue);
  }
  // Aliases of /login share its bucket.
  TestRequest alias;
  alias.method = "POST";
  int passed = 0;
  for (const char* t : {"/login", "//login", "/./login", "/%6cogin?x=1", "/a/../login", "/login"}) {
    alias.target = t;
    passed += Decide(*stage, alias, 0).verdict.is_continue() ? 1 : 0;
  }
  EXPECT_EQ(passed, 5);
}

TEST(RateLimitStage, KeysSeparateClients) {
  auto stage = Build(R"(
rate_limit:
  user: {header: x-user-id}
  rules:
    - {name: per-ip, path: "/ip", key: ip, limit: 1, period: 1m}
    - {name: per-user, path: "/user", key: user, limit: 1, period: 1m}
    - {name: per-key, path: "/hdr", key: "header:x-api-key", limit: 1, period: 1m}
    - {name: global, path: "/route", key: route, limit: 2, period: 1m}
)");
  ASSERT_NE(stage, nullptr);
  TestRequest a, b;
  b.client_ip = "192.0.2.2";
  a.target = b.target = "/ip";
  EXPECT_TRUE(Decide(*stage, a, 0).verdict.is_continue());
  EXPECT_TRUE(Decide(*stage, b, 0).verdict.is_continue());
  EXPECT_FALSE(Decide(*stage, a, 0).verdict.is_continue());

  // Same user from two addresses shares one bucket.
  a.target = b.target = "/user";
  a.headers = b.headers = {{"X-User-Id", "alice"}};
  EXPECT_TRUE(Decide(*stage, a, 0).verdict.is_continue());
  EXPECT_FALSE(Decide(*stage, b, 0).verdict.is_continue());
  b.headers = {{"X-User-Id", "bob"}};
  EXPECT_TRUE(Decide(*stage, b, 0).verdict.is_continue());

  a.target = "/hdr";
  a.headers = {{"X-Api-Key", "k1"}};
  EXPECT_TRUE(Decide(*stage, a, 0).verdict.is_continue());
  EXPECT_FALSE(Decide(*stage, a, 0).verdict.is_continue());
  a.headers = {{"X-Api-Key", "k2"}};
  EXPECT_TRUE(Decide(*stage, a, 0).verdict.is_continue());

  a.target = b.target = "/route";
  a.headers.clear();
  EXPECT_TRUE(Decide(*stage, a, 0).verdict.is_continue());
  EXPECT_TRUE(Decide(*stage, b, 0).verdict.is_continue());
  EXPECT_FALSE(Decide(*stage, a, 0).verdict.is_continue());
}

TEST(RateLimitStage, Ipv6ClientsShareTheirSlash64) {
  auto stage = Build(R"(
rate_limit: {rules: [{limit: 2, period: 1m}]}
)");
  TestRequest a, b, c;
  a.client_ip = "2001:db8:1:2::1";
  b.client_ip = "2001:db8:1:2:ffff::9";
  c.client_ip = "2001:db8:1:3::1";
  EXPECT_TRUE(Decide(*stage, a, 0).verdict.is_continue());
  EXPECT_TRUE(Decide(*stage, b, 0).verdict.is_continue());
  EXPECT_FALSE(Decide(*stage, a, 0).verdict.is_continue());
  EXPECT_TRUE(Decide(*stage, c, 0).verdict.is_continue());
}

TEST(RateLimitStage, BurstAndMonitorRules) {
  auto stage = Build(R"(
rate_limit:
  rules:
    - {name: shadow, path: "/m", limit: 1, period: 1m, mode: monitor}
    - {name: bursty, path: "/b", limit: 1, period: 1m, burst: 2}
)");
  TestRequest m;
  m.target = "/m";
  for (int i = 0; i < 4; ++i) {
    LocalDecision d = Decide(*stage, m, 0);
    EXPECT_TRUE(d.verdict.is_continue());
    EXPECT_EQ(d.monitored, i >= 1);
  }
  TestRequest b;
  b.target = "/b";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Decide(*stage, b, 0).verdict.is_continue()) << i;
  EXPECT_FALSE(Decide(*stage, b, 0).verdict.is_continue());
}

TEST(RateLimitStage, RefusalByOneRuleChargesNoOther) {
  auto stage = Build(R"(
rate_limit:
  rules:
    - {name: wide, path: "/api/*", limit: 3, period: 1m}
    - {name: narrow, path: "/api/x", limit: 1, period: 1m}
)");
  TestRequest x, y;
  x.target = "/api/x";
  y.target = "/api/y";
  EXPECT_TRUE(Decide(*stage, x, 0).verdict.is_continue());  // wide 1, narrow 1
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(Decide(*stage, x, 0).verdict.is_continue());
  // The refused /api/x requests did not use up "wide": two more /api/y pass.
  EXPECT_TRUE(Decide(*stage, y, 0).verdict.is_continue());
  EXPECT_TRUE(Decide(*stage, y, 0).verdict.is_continue());
  EXPECT_FALSE(Decide(*stage, y, 0).verdict.is_continue());
}

TEST(RateLimitStage, OnRequestHeadAddsHeadersAndHonoursBypass) {
  auto stage = Build(R"(
rate_limit: {rules: [{name: one, limit: 1, period: 10s}]}
)");
  TestRequest r;
  EXPECT_TRUE(stage->on_request_head(r.Build()).is_continue());
  pipeline::RequestContext& ctx = r.Build();
  pipeline::Verdict v = stage->on_request_head(ctx);
  EXPECT_EQ(v.status, 429);
  EXPECT_NE(ctx.response_headers().find("Retry-After: "), std::string_view::npos);
  EXPECT_NE(ctx.response_headers().find("RateLimit-Policy: \"one\";q=1;w=10\r\n"),
            std::string_view::npos);
  pipeline::RequestContext& allowed = r.Build();
  allowed.bypass_rate_limit = true;
  EXPECT_TRUE(stage->on_request_head(allowed).is_continue());
}

TEST(RateLimitStage, ScannerProbesTriggerOneAnnouncedBlock) {
  auto stage = Build(R"(
rate_limit:
  auto_block: {enabled: true, threshold: 3, window: 1m, duration: 10m, status: 403}
)");
  ASSERT_NE(stage, nullptr);
  TestRequest r;
  const char* probes[] = {"/.env", "/.git/config", "/wp-admin/"};
  for (int i = 0; i < 2; ++i) {
    r.target = probes[i];
    EXPECT_TRUE(stage->on_request_head(r.Build()).is_continue());
  }
  r.target = probes[2];
  pipeline::RequestContext& ctx = r.Build();
  pipeline::Verdict v = stage->on_request_head(ctx);
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(v.reason, kReasonAutoBlock);  // the triggering request carries the one announcement
  EXPECT_EQ(ctx.response_headers(), "Retry-After: 600\r\n");
  r.target = "/";
  for (int i = 0; i < 3; ++i) {
    pipeline::Verdict later = stage->on_request_head(r.Build());
    EXPECT_EQ(later.status, 403);
    EXPECT_EQ(later.reason, kReasonAutoBlocked);
  }
  TestRequest other;
  other.client_ip = "198.51.100.7";
  EXPECT_TRUE(stage->on_request_head(other.Build()).is_continue());
  EXPECT_EQ(stage->shared().counters().blocks_started.load(), 1u);
}

TEST(RateLimitStage, FindingsAndOriginLockViolationsAreStrikes) {
  auto stage = Build(R"(
rate_limit:
  auto_block: {enabled: true, threshold: 2, window: 1m, duration: 1m, status: 429}
)");
  TestRequest r;
  pipeline::RequestContext& c1 = r.Build();
  c1.add_detection();
  stage->on_complete(c1);
  EXPECT_TRUE(stage->on_request_head(r.Build()).is_continue());
  pipeline::RequestContext& c2 = r.Build();
  c2.blocked_by = "origin_lock";
  c2.block_reason = "origin_lock_untrusted_peer";
  stage->on_complete(c2);
  pipeline::Verdict first = stage->on_request_head(r.Build());
  EXPECT_EQ(first.status, 429);
  EXPECT_EQ(first.reason, kReasonAutoBlock);
  EXPECT_EQ(stage->on_request_head(r.Build()).reason, kReasonAutoBlocked);

  // A monitor-mode origin lock "violation" and allow-listed clients are not strikes.
  TestRequest m;
  m.client_ip = "203.0.113.5";
  for (int i = 0; i < 5; ++i) {
    pipeline::RequestContext& c = m.Build();
    c.blocked_by = "origin_lock";
    c.monitored_block = true;
    stage->on_complete(c);
    pipeline::RequestContext& b = m.Build();
    b.add_detection();
    b.bypass_rate_limit = true;
    stage->on_complete(b);
  }
  EXPECT_TRUE(stage->on_request_head(m.Build()).is_continue());
}

TEST(RateLimitStage, RedisUrlFromEnvironment) {
  config::Config c = Load(kLogin);
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "REDIS_URL") return std::string("redis://127.0.0.1:6390/3");
    if (name == "REDIS_PASSWORD") return std::string("pw");
    return std::nullopt;
  };
  auto st = build_rate_limit(c.rate_limit, env, nullptr);
  ASSERT_TRUE(st.ok());
  const RateLimitSettings& s = st.value()->settings();
  EXPECT_TRUE(s.redis_enabled);
  EXPECT_EQ(s.endpoint.port, 6390);
  EXPECT_EQ(s.endpoint.db, 3u);
  EXPECT_EQ(s.endpoint.password, "pw");
  EXPECT_EQ(s.decide_sha.size(), 40u);
  auto bad = [](std::string_view name) -> std::optional<std::string> {
    if (name == "REDIS_URL") return std::string("rediss://host.invalid");
    return std::nullopt;
  };
  EXPECT_FALSE(build_rate_limit(c.rate_limit, bad, nullptr).ok());
}

TEST(RateLimitStage, RedisTlsSettings) {
  config::Config c = Load(kLogin);
  auto tls_env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "REDIS_URL") return std::string("rediss://localhost:6390");
    return std::nullopt;
  };
  auto st = build_rate_limit(c.rate_limit, tls_env, nullptr);
  ASSERT_TRUE(st.ok()) << st.error().reason;
  const RateLimitSettings& s = st.value()->settings();
  EXPECT_TRUE(s.endpoint.tls);
  EXPECT_EQ(s.endpoint.url_host, "localhost");
  EXPECT_TRUE(s.endpoint.tls_options.verify);
  EXPECT_NE(s.client_options.tls_context, nullptr);  // built at load
  // A CA file that cannot be read is a load error, not a run-time surprise.
  c.rate_limit.redis.tls.ca_file = "/nonexistent/ca.pem";
  auto missing = build_rate_limit(c.rate_limit, tls_env, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().reason.find("CA file"), std::string::npos) << missing.error().reason;
  // TLS options with a cleartext URL: refused rather than silently unencrypted.
  auto plain_env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "REDIS_URL") return std::string("redis://127.0.0.1:6390");
    return std::nullopt;
  };
  EXPECT_FALSE(build_rate_limit(c.rate_limit, plain_env, nullptr).ok());
}

}  // namespace
}  // namespace portcullis::rate_limit
