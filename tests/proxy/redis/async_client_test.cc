#include "proxy/redis/async_client.h"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <functional>
#include <string>

#include "tests/proxy/redis/redis_server.h"

namespace portcullis::redis {
namespace {

using testing::RedisServer;

// Runs the loop until pred() or the deadline.
bool RunUntil(event_base* base, const std::function<bool()>& pred, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    timeval tv{0, 5000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
  }
  return true;
}

struct Recorder : ReplyHandler {
  int calls = 0;
  bool null_reply = false;
  std::string text;
  long long integer = 0;
  void on_reply(const redisReply* r) override {
    ++calls;
    null_reply = r == nullptr;
    if (r == nullptr) return;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
        r->type == REDIS_REPLY_ERROR) {
      text.assign(r->str, r->len);
    }
    if (r->type == REDIS_REPLY_INTEGER) integer = r->integer;
  }
};

bool Send(AsyncClient& c, std::initializer_list<std::string_view> args, Recorder* rec) {
  const char* argv[16];
  size_t lens[16];
  int n = 0;
  for (std::string_view a : args) {
    argv[n] = a.data();
    lens[n++] = a.size();
  }
  return c.send(n, argv, lens, rec);
}

class AsyncClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::RedisServerAvailable()) GTEST_SKIP() << "redis-server is not installed";
    base_ = event_base_new();
  }
  void TearDown() override {
    client_.reset();
    if (base_ != nullptr) event_base_free(base_);
  }
  void Connect(const std::string& url, ClientOptions opts = {}) {
    auto ep = parse_url(url);
    ASSERT_TRUE(ep.ok());
    opts.reconnect_min = std::chrono::milliseconds(20);
    opts.reconnect_max = std::chrono::milliseconds(100);
    client_ = std::make_unique<AsyncClient>(base_, ep.value(), opts, &stats_);
  }
  event_base* base_ = nullptr;
  ClientStats stats_;
  std::unique_ptr<AsyncClient> client_;
};

TEST_F(AsyncClientTest, ConnectsLoadsScriptsAndPipelines) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  ClientOptions opts;
  std::string script = "return tonumber(ARGV[1]) + 1";
  opts.scripts = {script};
  Connect(redis->url(), opts);
  EXPECT_FALSE(client_->ready());
  // Sent while connecting: queued behind the handshake, answered once connected.
  Recorder early;
  EXPECT_TRUE(Send(*client_, {"PING"}, &early));
  ASSERT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 3000));
  ASSERT_TRUE(RunUntil(
      base_, [&] { return early.calls == 1; }, 3000));
  EXPECT_EQ(early.text, "PONG");
  EXPECT_EQ(stats_.up_transitions.load(), 1u);
  EXPECT_EQ(stats_.ready_clients.load(), 1);
  // The handshake's SCRIPT LOAD makes EVALSHA work at once; 100 commands pipelined.
  std::string sha = script_sha1(script);
  std::vector<Recorder> recs(100);
  for (int i = 0; i < 100; ++i) {
    std::string arg = std::to_string(i);
    ASSERT_TRUE(Send(*client_, {"EVALSHA", sha, "0", arg}, &recs[i]));
  }
  EXPECT_EQ(client_->in_flight(), 100u);
  ASSERT_TRUE(RunUntil(
      base_, [&] { return recs[99].calls == 1; }, 3000));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(recs[i].integer, i + 1);
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_F(AsyncClientTest, Sha1MatchesRedis) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(redis->Command("SCRIPT LOAD return'x'"), script_sha1("return'x'"));
}

TEST_F(AsyncClientTest, PasswordRequired) {
  auto redis = RedisServer::Start("t0p-secret");
  ASSERT_NE(redis, nullptr);
  Connect("redis://:wrong@127.0.0.1:" + std::to_string(redis->port()));
  EXPECT_FALSE(RunUntil(
      base_, [&] { return client_->ready(); }, 500));
  client_.reset();
  Connect(redis->url());
  ASSERT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 3000));
  Recorder rec;
  ASSERT_TRUE(Send(*client_, {"SET", "k", "v"}, &rec));
  ASSERT_TRUE(RunUntil(
      base_, [&] { return rec.calls == 1; }, 2000));
  EXPECT_EQ(rec.text, "OK");
}

TEST_F(AsyncClientTest, ServerLossFailsPendingAndReconnects) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  Connect(redis->url());
  ASSERT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 3000));
  redis->Pause();
  Recorder pending;
  ASSERT_TRUE(Send(*client_, {"PING"}, &pending));
  redis->Resume();
  redis->Stop();
  ASSERT_TRUE(RunUntil(
      base_, [&] { return pending.calls == 1; }, 3000));
  EXPECT_EQ(stats_.down_transitions.load(), 1u);
  EXPECT_FALSE(client_->ready());
  Recorder refused;
  EXPECT_FALSE(Send(*client_, {"PING"}, &refused));
  ASSERT_TRUE(redis->Restart());
  ASSERT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 5000));
  EXPECT_EQ(stats_.up_transitions.load(), 2u);
  Recorder after;
  ASSERT_TRUE(Send(*client_, {"PING"}, &after));
  ASSERT_TRUE(RunUntil(
      base_, [&] { return after.calls == 1; }, 2000));
  EXPECT_EQ(after.text, "PONG");
}

TEST_F(AsyncClientTest, WedgedServerIsDroppedAfterTimeouts) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  ClientOptions opts;
  opts.timeouts_to_reconnect = 2;
  opts.handshake_timeout = std::chrono::milliseconds(200);
  Connect(redis->url(), opts);
  ASSERT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 3000));
  redis->Pause();
  Recorder a, b;
  ASSERT_TRUE(Send(*client_, {"PING"}, &a));
  ASSERT_TRUE(Send(*client_, {"PING"}, &b));
  client_->note_timeout();
  client_->note_timeout();  // the caller's deadlines passed twice: drop the connection
  ASSERT_TRUE(RunUntil(
      base_, [&] { return a.calls == 1 && b.calls == 1; }, 1000));
  EXPECT_TRUE(a.null_reply);
  EXPECT_FALSE(client_->ready());
  // While paused, reconnects hang in the handshake and are dropped by its timeout.
  EXPECT_FALSE(RunUntil(
      base_, [&] { return client_->ready(); }, 600));
  redis->Resume();
  ASSERT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 5000));
}

TEST_F(AsyncClientTest, DestroyFailsPending) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  Connect(redis->url());
  ASSERT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 3000));
  Recorder rec;
  ASSERT_TRUE(Send(*client_, {"PING"}, &rec));
  client_.reset();
  EXPECT_EQ(rec.calls, 1);
  EXPECT_TRUE(rec.null_reply);
  EXPECT_EQ(stats_.ready_clients.load(), 0);
}

}  // namespace
}  // namespace portcullis::redis

namespace portcullis::redis {
namespace {

// rediss:// against a real redis-server with a TLS port (certificates made by openssl).
class TlsClientTest : public AsyncClientTest {
 protected:
  void ConnectTls(const RedisServer& redis, TlsOptions tls, ClientOptions opts = {}) {
    auto ep = parse_url(redis.url());
    ASSERT_TRUE(ep.ok()) << ep.error().reason;
    ep->tls_options = std::move(tls);
    opts.reconnect_min = std::chrono::milliseconds(20);
    opts.reconnect_max = std::chrono::milliseconds(100);
    client_ = std::make_unique<AsyncClient>(base_, ep.value(), opts, &stats_);
  }
};

TEST_F(TlsClientTest, VerifiedServerPipelinesScriptsAndSurvivesRestart) {
  auto redis = RedisServer::StartTls();
  ASSERT_NE(redis, nullptr) << "redis-server with TLS did not start";
  ClientOptions opts;
  opts.scripts = {"return 7"};
  ConnectTls(*redis, TlsOptions{.ca_file = redis->ca_file()}, opts);
  ASSERT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 3000));
  std::string sha = script_sha1("return 7");
  Recorder recs[50];
  for (Recorder& r : recs) ASSERT_TRUE(Send(*client_, {"EVALSHA", sha, "0"}, &r));
  ASSERT_TRUE(RunUntil(
      base_, [&] { return recs[49].calls == 1; }, 3000));
  for (Recorder& r : recs) EXPECT_EQ(r.integer, 7);
  // The connection really is the TLS one (url() names the TLS port).
  EXPECT_EQ(client_->endpoint().port, redis->tls_port());
  EXPECT_TRUE(client_->endpoint().tls);
  // Loss and reconnect work the same over TLS.
  ASSERT_TRUE(redis->Restart());
  ASSERT_TRUE(RunUntil(
      base_, [&] { return stats_.up_transitions.load() == 2 && client_->ready(); }, 5000));
  Recorder after;
  ASSERT_TRUE(Send(*client_, {"PING"}, &after));
  ASSERT_TRUE(RunUntil(
      base_, [&] { return after.calls == 1; }, 2000));
  EXPECT_EQ(after.text, "PONG");
}

TEST_F(TlsClientTest, ServerSignedByAnotherCaIsRefused) {
  auto redis = RedisServer::StartTls();
  ASSERT_NE(redis, nullptr);
  ConnectTls(*redis, TlsOptions{.ca_file = redis->other_ca_file()});
  EXPECT_FALSE(RunUntil(
      base_, [&] { return client_->ready(); }, 800));
  EXPECT_EQ(stats_.up_transitions.load(), 0u);
  Recorder rec;
  // Between attempts the client is down and refuses at once (the caller's policy applies).
  EXPECT_TRUE(RunUntil(
      base_, [&] { return !client_->connecting(); }, 1000));
  EXPECT_FALSE(Send(*client_, {"PING"}, &rec));
}

TEST_F(TlsClientTest, WrongNameIsRefusedAndVerifyOffAccepts) {
  auto redis = RedisServer::StartTls();
  ASSERT_NE(redis, nullptr);
  ConnectTls(*redis, TlsOptions{.ca_file = redis->ca_file(), .server_name = "redis.example.com"});
  EXPECT_FALSE(RunUntil(
      base_, [&] { return client_->ready(); }, 800));
  client_.reset();
  ConnectTls(*redis, TlsOptions{.ca_file = redis->other_ca_file(), .verify = false});
  EXPECT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 3000));
}

TEST_F(TlsClientTest, MutualTlsNeedsTheClientCertificate) {
  auto redis = RedisServer::StartTls(/*require_client_cert=*/true);
  ASSERT_NE(redis, nullptr);
  ConnectTls(*redis, TlsOptions{.ca_file = redis->ca_file()});
  EXPECT_FALSE(RunUntil(
      base_, [&] { return client_->ready(); }, 800));
  client_.reset();
  ConnectTls(*redis, TlsOptions{.ca_file = redis->ca_file(),
                                .cert_file = redis->client_cert_file(),
                                .key_file = redis->client_key_file()});
  EXPECT_TRUE(RunUntil(
      base_, [&] { return client_->ready(); }, 3000));
}

TEST(TlsContext, LoadErrorsAreReportedAtLoad) {
  EXPECT_FALSE(make_tls_context(TlsOptions{.ca_file = "/nonexistent/ca.pem"}).ok());
  EXPECT_FALSE(make_tls_context(TlsOptions{.cert_file = "/nonexistent/c.pem"}).ok());
  EXPECT_TRUE(make_tls_context(TlsOptions{}).ok());  // system store
}

}  // namespace
}  // namespace portcullis::redis
