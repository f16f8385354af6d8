// The rate-limit stage through the real binary: local limits, two instances sharing one limit
// and one auto-block through Redis, and what happens when Redis stops, hangs and comes back.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/proxy/redis/redis_server.h"

namespace portcullis::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string UniquePrefix() {
  std::random_device rd;
  return "pctest" + std::to_string(rd()) + std::to_string(rd());
}

int Status(uint16_t port, const std::string& raw, std::string* body = nullptr,
           HttpResponse* out = nullptr) {
  auto r = Fetch(port, raw, 5000);
  if (!r) return -1;
  if (body != nullptr) *body = r->body;
  if (out != nullptr) *out = *r;
  return r->status;
}

std::string Post(const std::string& path) {
  return "POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

std::string Rules(const std::string& prefix, const std::string& redis_url,
                  const std::string& extra = "") {
  std::string y =
      "rate_limit:\n"
      "  rules:\n"
      "    - {name: login, methods: [POST], path: /login, key: ip, limit: 5, period: 1m}\n"
      "    - {name: api, path: \"/api/*\", key: ip, limit: 6, period: 1m}\n"
      "  auto_block: {enabled: true, threshold: 3, window: 1m, duration: 10m, status: 403}\n"
      "  redis:\n"
      "    key_prefix: " +
      prefix + "\n" + extra;
  if (!redis_url.empty()) y += "    url: \"" + redis_url + "\"\n";
  return y;
}

class RateLimitIntegration : public ::testing::Test {
 protected:
  void SetUp() override { origin_ = std::make_unique<TestOrigin>(); }
  std::unique_ptr<ProxyProcess> Start(const std::string& extra,
                                      const std::vector<std::string>& env = {}) {
    return ProxyProcess::Start(BaseConfig(origin_->port(), extra, 2), env);
  }
  std::unique_ptr<TestOrigin> origin_;
};

TEST_F(RateLimitIntegration, LocalLimitIsExactAndAnswers429WithHeaders) {
  auto proxy = Start(Rules(UniquePrefix(), ""));
  ASSERT_NE(proxy, nullptr);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Status(proxy->port(), Post("/login")), 200) << i;
  HttpResponse r;
  EXPECT_EQ(Status(proxy->port(), Post("/login"), nullptr, &r), 429);
  EXPECT_EQ(r.headers["retry-after"], "12");  // T = 60 s / 5
  EXPECT_EQ(r.headers["ratelimit-policy"], "\"login\";q=5;w=60");
  EXPECT_EQ(r.headers["ratelimit"], "\"login\";r=0;t=60");
  EXPECT_NE(r.body.find("rate_limited"), std::string::npos);
  // Other routes and methods are not limited by the login rule.
  EXPECT_EQ(Status(proxy->port(), Get("/login", "Connection: close\r\n")), 200);
  EXPECT_EQ(Status(proxy->port(), Post("/signup")), 200);
}

TEST_F(RateLimitIntegration, LocalScannerProbesAutoBlock) {
  auto proxy = Start(Rules(UniquePrefix(), ""));
  ASSERT_NE(proxy, nullptr);
  // Probes the path detector lets through (it blocks /.env and /.git/ itself; those count as
  // strikes too, as findings).
  EXPECT_EQ(Status(proxy->port(), Get("/wp-admin/", "Connection: close\r\n")), 200);
  EXPECT_EQ(Status(proxy->port(), Get("/phpinfo.php", "Connection: close\r\n")), 200);
  std::string body;
  HttpResponse r;
  EXPECT_EQ(Status(proxy->port(), Get("/server-status", "Connection: close\r\n"), &body, &r), 403);
  EXPECT_NE(body.find("(auto_block)"), std::string::npos) << body;
  EXPECT_EQ(r.headers["retry-after"], "600");
  EXPECT_EQ(Status(proxy->port(), Get("/", "Connection: close\r\n"), &body), 403);
  EXPECT_NE(body.find("(auto_blocked)"), std::string::npos) << body;
}

class SharedRedis : public RateLimitIntegration {
 protected:
  void SetUp() override {
    auto url = ServicesEnv("REDIS_URL");
    if (!url) {
      GTEST_SKIP() << "PORTCULLIS_SERVICES_DIR/env has no REDIS_URL: start the services with "
                      "scripts/services.sh (CI always does)";
    }
    url_ = *url;
    RateLimitIntegration::SetUp();
  }
  std::string url_;
};

TEST_F(SharedRedis, TwoInstancesShareOneLimit) {
  std::string prefix = UniquePrefix();
  auto a = Start(Rules(prefix, url_));
  auto b = Start(Rules(prefix, url_));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  int ok = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    int s = Status(i % 2 == 0 ? a->port() : b->port(), Get("/api/x", "Connection: close\r\n"));
    if (s == 200) ++ok;
    if (s == 429) ++limited;
  }
  EXPECT_EQ(ok, 6);  // the combined count: each instance alone would have allowed 6
  EXPECT_EQ(limited, 4);
  HttpResponse r;
  EXPECT_EQ(Status(b->port(), Get("/api/y", "Connection: close\r\n"), nullptr, &r), 429);
  EXPECT_EQ(r.headers["ratelimit-policy"], "\"api\";q=6;w=60");
  EXPECT_EQ(r.headers["retry-after"], "10");
}

// Concurrent requests from one client land in the same script call (one batch per loop turn),
// several decisions on the same key: the count must stay exact.
TEST_F(SharedRedis, ConcurrentBurstOnOneKeyIsCountedExactly) {
  std::string prefix = UniquePrefix();
  auto a = Start(Rules(prefix, url_));
  auto b = Start(Rules(prefix, url_));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 30; ++i) {
    clients.emplace_back([&, i] {
      int s = Status(i % 2 == 0 ? a->port() : b->port(), Get("/api/x", "Connection: close\r\n"));
      (s == 200 ? ok : s == 429 ? limited : other).fetch_add(1);
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(limited.load(), 24);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(SharedRedis, AutoBlockAtOneInstanceIsEnforcedByTheOther) {
  std::string prefix = UniquePrefix();
  auto a = Start(Rules(prefix, url_));
  auto b = Start(Rules(prefix, url_));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Status(b->port(), Get("/", "Connection: close\r\n")), 200);
  std::string body;
  EXPECT_EQ(Status(a->port(), Get("/wp-admin/", "Connection: close\r\n")), 200);
  EXPECT_EQ(Status(a->port(), Get("/config.php", "Connection: close\r\n")), 200);
  EXPECT_EQ(Status(a->port(), Get("/server-status", "Connection: close\r\n"), &body), 403);
  EXPECT_NE(body.find("(auto_block)"), std::string::npos) << body;
  EXPECT_EQ(Status(b->port(), Get("/", "Connection: close\r\n"), &body), 403);
  EXPECT_NE(body.find("(auto_blocked)"), std::string::npos) << body;
}

TEST_F(SharedRedis, PasswordProtectedRedis) {
  auto url = ServicesEnv("REDIS_AUTH_URL");
  if (!url) GTEST_SKIP() << "no REDIS_AUTH_URL in the services env";
  auto port = ServicesEnv("REDIS_AUTH_PORT");
  auto pass = ServicesEnv("REDIS_AUTH_PASSWORD");
  std::string prefix = UniquePrefix();
  // Password through REDIS_PASSWORD (never in the config file).
  auto a = Start(Rules(prefix, "redis://127.0.0.1:" + *port), {"REDIS_PASSWORD=" + *pass});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(Status(a->port(), Get("/", "Connection: close\r\n")), 200);  // connects
  ASSERT_TRUE(a->WaitForLog("connected", 5000)) << a->Log();
  int ok = 0;
  for (int i = 0; i < 8; ++i)
    ok += Status(a->port(), Get("/api/p", "Connection: close\r\n")) == 200;
  EXPECT_EQ(ok, 6);
}

// The same shared limit over TLS (rediss://, the server certificate verified against the CA that
// scripts/services.sh generated).
TEST_F(SharedRedis, TwoInstancesShareOneLimitOverTls) {
  auto url = ServicesEnv("REDIS_TLS_URL");
  auto ca = ServicesEnv("REDIS_TLS_CA");
  if (!url || !ca) GTEST_SKIP() << "no REDIS_TLS_URL in the services env";
  std::string prefix = UniquePrefix();
  std::string tls = "    tls: {ca_file: \"" + *ca + "\"}\n";
  auto a = Start(Rules(prefix, *url, tls));
  auto b = Start(Rules(prefix, *url, tls));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Status(a->port(), Get("/", "Connection: close\r\n")), 200);
  EXPECT_EQ(Status(b->port(), Get("/", "Connection: close\r\n")), 200);
  ASSERT_TRUE(a->WaitForLog("tls: connected", 5000)) << a->Log();
  ASSERT_TRUE(b->WaitForLog("tls: connected", 5000)) << b->Log();
  int ok = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    int s = Status(i % 2 == 0 ? a->port() : b->port(), Get("/api/x", "Connection: close\r\n"));
    ok += s == 200;
    limited += s == 429;
  }
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(limited, 4);
}

// A Redis whose certificate the configured CA did not sign is never used: the connection is
// refused (logged with the reason) and the failure policy answers, at once.
TEST_F(SharedRedis, TlsServerSignedByAnotherCaIsRefused) {
  auto url = ServicesEnv("REDIS_TLS_URL");
  if (!url) GTEST_SKIP() << "no REDIS_TLS_URL in the services env";
  char tmpl[] = "/tmp/portcullis-rl-ca-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::string gen =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=other -keyout '" +
      dir + "/k.pem' -out '" + dir + "/ca.pem' >/dev/null 2>&1";
  ASSERT_EQ(std::system(gen.c_str()), 0);
  auto proxy =
      Start(Rules(UniquePrefix(), *url,
                  "    on_failure: fail_closed\n    tls: {ca_file: \"" + dir + "/ca.pem\"}\n"));
  ASSERT_NE(proxy, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto t0 = Clock::now();
    EXPECT_EQ(Status(proxy->port(), Get("/api/t", "Connection: close\r\n")), 503);
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(proxy->WaitForLog("certificate verify failed", 3000)) << proxy->Log();
  EXPECT_EQ(proxy->Log().find("tls: connected"), std::string::npos) << proxy->Log();
  std::string rm = "rm -rf '" + dir + "'";
  (void)!std::system(rm.c_str());
}

// Its own redis-server: this test stops, pauses and restarts it.
TEST_F(RateLimitIntegration, RedisDownSlowAndBackFollowsThePolicy) {
  auto redis = RedisServer::Start();
  if (redis == nullptr) GTEST_SKIP() << "redis-server is not installed";
  std::string prefix = UniquePrefix();
  std::string policy_closed = "    timeout: 50ms\n    on_failure: fail_closed\n";
  std::string policy_open = "    timeout: 50ms\n    on_failure: fail_open\n";
  // The fail_closed instance also writes its audit events to a file: every Redis loss and
  // recovery must be one.
  char tmpl[] = "/tmp/portcullis-rl-audit-XXXXXX";
  const std::string audit_dir = mkdtemp(tmpl);
  const std::string audit_file = audit_dir + "/audit.json";
  auto closed = Start(Rules(prefix, redis->url(), policy_closed) + "audit:\n  spool_dir: \"" +
                      audit_dir + "/spool\"\n  sinks:\n    - {name: f, type: file, path: \"" +
                      audit_file + "\", min_priority: P3}\n");
  auto open = Start(Rules(prefix, redis->url(), policy_open));
  ASSERT_NE(closed, nullptr);
  ASSERT_NE(open, nullptr);
  auto timed = [](uint16_t port, const std::string& path, int* ms) {
    auto t0 = Clock::now();
    int s = Status(port, Get(path, "Connection: close\r\n"));
    *ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
    return s;
  };
  int ms = 0;
  EXPECT_EQ(timed(closed->port(), "/api/1", &ms), 200);
  EXPECT_EQ(timed(open->port(), "/api/1", &ms), 200);
  ASSERT_TRUE(closed->WaitForLog("connected", 5000)) << closed->Log();
  ASSERT_TRUE(open->WaitForLog("connected", 5000)) << open->Log();

  // Hung Redis (SIGSTOP: the TCP connection stays open, nothing answers): the 50 ms deadline
  // answers every request with the policy; nobody waits for Redis.
  redis->Pause();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(timed(closed->port(), "/api/2", &ms), 503);
    EXPECT_LT(ms, 1000);
    EXPECT_EQ(timed(open->port(), "/api/2", &ms), 200);
    EXPECT_LT(ms, 1000);
  }
  redis->Resume();

  // Stopped Redis: connection refused, the policy answers at once.
  redis->Stop();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(timed(closed->port(), "/api/3", &ms), 503);
    EXPECT_LT(ms, 1000);
    EXPECT_EQ(timed(open->port(), "/api/3", &ms), 200);
    EXPECT_LT(ms, 1000);
  }
  EXPECT_TRUE(closed->WaitForLog("down", 2000)) << closed->Log();

  // Back: both reconnect by themselves and the shared limit holds again (an empty Redis, so the
  // full 6 are allowed, counted across both instances).
  ASSERT_TRUE(redis->Restart());
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline && timed(closed->port(), "/api/wait", &ms) == 503) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Let the fail_open instance reconnect too (its log says so).
  auto deadline2 = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline2 &&
         open->Log().find("connected") == open->Log().rfind("connected")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  redis->Command("FLUSHALL");
  int ok = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    int s = timed(i % 2 == 0 ? closed->port() : open->port(), "/api/4", &ms);
    ok += s == 200;
    limited += s == 429;
  }
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(limited, 4);

  std::string events;
  for (int i = 0; i < 60 && events.find("rate_limit.redis_up") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(audit_file);
    events.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(events.find("\"action\":\"rate_limit.redis_down\""), std::string::npos) << events;
  EXPECT_NE(events.find("\"action\":\"rate_limit.redis_up\""), std::string::npos) << events;
  closed.reset();
  std::string rm = "rm -rf '" + audit_dir + "'";
  (void)!std::system(rm.c_str());
}

TEST_F(RateLimitIntegration, LocalFallbackPolicyLimitsWithoutRedis) {
  auto redis = RedisServer::Start();
  if (redis == nullptr) GTEST_SKIP() << "redis-server is not installed";
  auto proxy = Start(Rules(UniquePrefix(), redis->url(), "    on_failure: local\n"));
  ASSERT_NE(proxy, nullptr);
  redis->Stop();
  int ok = 0, limited = 0;
  for (int i = 0; i < 8; ++i) {
    int s = Status(proxy->port(), Get("/api/l", "Connection: close\r\n"));
    ok += s == 200;
    limited += s == 429;
  }
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(limited, 2);
}

}  // namespace
}  // namespace portcullis::testing
