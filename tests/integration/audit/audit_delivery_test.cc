// End-to-end delivery of the audit stream to real collectors on loopback: rsyslog (started by
// scripts/services.sh, found through $PORTCULLIS_SERVICES_DIR/env), an HTTP collector that fails,
// stalls and recovers, a Slack-format webhook, and a process killed with events in its spool.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "proxy/audit/auditor.h"
#include "tests/integration/audit/collector.h"
#include "tests/integration/audit/delivery.h"

namespace portcullis::audit {
namespace {

namespace fs = std::filesystem;
using testing::ById;
using testing::Collector;
using testing::FreePort;
using testing::MakeEvent;
using testing::OwnRsyslog;
using testing::ReadAll;
using testing::ServicesEnv;
using testing::Tag;

class AuditDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/audit-it-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  config::AuditConfig Base() {
    config::AuditConfig c;
    c.spool_dir = dir_ + "/spool";
    config::AuditSinkConfig f;  // the reference copy of every event, byte for byte
    f.name = "reference";
    f.type = config::AuditSinkType::kFile;
    f.path = dir_ + "/reference.json";
    c.sinks.push_back(f);
    return c;
  }
  template <typename Pred>
  static bool WaitFor(Pred p, int ms) {
    for (int i = 0; i < ms / 20; ++i) {
      if (p()) return true;
      usleep(20000);
    }
    return p();
  }
  // Every reference event arrived, and every copy (duplicates included) is byte-identical.
  void ExpectAllDelivered(const std::string& tag, const std::string& got_text, int n) {
    auto ref = ById(ReadAll(dir_ + "/reference.json"), tag);
    auto got = ById(got_text, tag);
    ASSERT_EQ(ref.size(), static_cast<size_t>(n));
    size_t missing = 0, different = 0;
    for (const auto& [id, lines] : ref) {
      auto it = got.find(id);
      if (it == got.end()) {
        ++missing;
        continue;
      }
      for (const std::string& l : it->second) different += l != *lines.begin();
    }
    EXPECT_EQ(missing, 0u);
    EXPECT_EQ(different, 0u) << "a copy differs from what was sent (a duplicate must be identical)";
  }
  std::string dir_;
};

TEST_F(AuditDelivery, RsyslogReceivesEveryEventOfABurstExactly) {
  auto env = ServicesEnv();
  if (env.count("RSYSLOG_TCP_PORT") == 0) {
    GTEST_SKIP() << "PORTCULLIS_SERVICES_DIR unset or without rsyslog: run scripts/test.sh";
  }
  config::AuditConfig c = Base();
  config::AuditSinkConfig s;
  s.name = "syslog";
  s.type = config::AuditSinkType::kSyslogTcp;
  s.host = "127.0.0.1";
  s.port = static_cast<uint16_t>(std::stoi(env["RSYSLOG_TCP_PORT"]));
  s.confirm_after = std::chrono::milliseconds(200);
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 5000;
  for (int i = 0; i < kN; ++i) {
    while (!a.value()->emit(MakeEvent(tag, i))) usleep(100);
  }
  ASSERT_TRUE(WaitFor([&] { return a.value()->idle(); }, 20000));
  a.value()->stop();
  ASSERT_TRUE(
      WaitFor([&] { return ById(ReadAll(env["RSYSLOG_OUTPUT"]), tag).size() == kN; }, 10000));
  ExpectAllDelivered(tag, ReadAll(env["RSYSLOG_OUTPUT"]), kN);
  EXPECT_EQ(a.value()->sink(1).dropped(), 0u);
}

TEST_F(AuditDelivery, RsyslogStoppedDuringABurstAndRestartedLosesNothing) {
  auto env = ServicesEnv();
  if (env.count("RSYSLOGD") == 0) {
    GTEST_SKIP() << "PORTCULLIS_SERVICES_DIR unset or without rsyslog: run scripts/test.sh";
  }
  uint16_t port = FreePort();
  OwnRsyslog rs(env["RSYSLOGD"], dir_ + "/rsyslog", port);
  ASSERT_TRUE(rs.Start());
  config::AuditConfig c = Base();
  config::AuditSinkConfig s;
  s.name = "syslog";
  s.type = config::AuditSinkType::kSyslogTcp;
  s.host = "127.0.0.1";
  s.port = port;
  s.batch_max = 100;
  s.confirm_after = std::chrono::milliseconds(300);
  s.backoff_max = std::chrono::milliseconds(300);
  s.timeout = std::chrono::milliseconds(500);
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 3000;
  for (int i = 0; i < kN; ++i) {
    while (!a.value()->emit(MakeEvent(tag, i))) usleep(100);
    if (i % 100 == 0) usleep(20000);  // a paced burst: ~0.6 s
    if (i == kN / 3) rs.Stop();       // collector dies mid-burst
    if (i == 2 * kN / 3) ASSERT_TRUE(rs.Start());
  }
  ASSERT_TRUE(WaitFor([&] { return a.value()->idle(); }, 30000));
  a.value()->stop();
  ASSERT_TRUE(WaitFor([&] { return ById(rs.Output(), tag).size() == kN; }, 10000))
      << ById(rs.Output(), tag).size() << " of " << kN;
  ExpectAllDelivered(tag, rs.Output(), kN);
  EXPECT_GT(a.value()->sink(1).errors(), 0u);   // the outage was noticed
  EXPECT_GT(a.value()->sink(1).spooled(), 0u);  // and bridged through the spool
  EXPECT_EQ(a.value()->sink(1).dropped(), 0u);
}

std::string Decompose(const std::vector<std::string>& bodies) {
  std::string all;
  for (const auto& b : bodies) all += b;
  return all;
}

TEST_F(AuditDelivery, HttpCollectorThatFailsStallsAndRecoversLosesNothing) {
  // Requests 0-2 fail with 503, 3-4 stall past the timeout, 5-6 fail, then everything succeeds.
  Collector col([](int n) {
    if (n < 3) return Collector::Reply::kFail;
    if (n < 5) return Collector::Reply::kStall;
    if (n < 7) return Collector::Reply::kFail;
    return Collector::Reply::kOk;
  });
  config::AuditConfig c = Base();
  config::AuditSinkConfig s;
  s.name = "http";
  s.type = config::AuditSinkType::kHttp;
  s.url = "http://127.0.0.1:" + std::to_string(col.port()) + "/ingest";
  s.auth_env = "AUDIT_TOKEN";
  s.batch_max = 200;
  s.timeout = std::chrono::milliseconds(300);
  s.backoff_max = std::chrono::milliseconds(200);
  c.sinks.push_back(s);
  auto a = Auditor::create(c, [](std::string_view n) -> std::optional<std::string> {
    if (n == "AUDIT_TOKEN") return std::string("Bearer test-token");
    return std::nullopt;
  });
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 4000;
  for (int i = 0; i < kN; ++i) {
    while (!a.value()->emit(MakeEvent(tag, i))) usleep(100);
    if (i % 500 == 0) usleep(50000);
  }
  ASSERT_TRUE(WaitFor([&] { return a.value()->idle(); }, 30000));
  a.value()->stop();
  ExpectAllDelivered(tag, Decompose(col.bodies()), kN);
  EXPECT_GE(col.requests(), 8);
  EXPECT_GT(a.value()->sink(1).errors(), 0u);
  EXPECT_NE(col.last_head().find("Authorization: Bearer test-token"), std::string::npos);
  EXPECT_NE(col.last_head().find("Content-Type: application/x-ndjson"), std::string::npos);
}

TEST_F(AuditDelivery, KilledWithEventsInTheSpoolDeliversThemAfterRestart) {
  const std::string tag = Tag();
  constexpr int kN = 500;
  uint16_t dead_port = FreePort();  // nobody listens: the sink is down, events go to the spool
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    config::AuditConfig c = Base();
    config::AuditSinkConfig s;
    s.name = "http";
    s.type = config::AuditSinkType::kHttp;
    s.url = "http://127.0.0.1:" + std::to_string(dead_port) + "/";
    s.timeout = std::chrono::milliseconds(200);
    c.sinks.push_back(s);
    auto a = Auditor::create(c, config::no_env());
    if (!a.ok()) _exit(2);
    for (int i = 0; i < kN; ++i) {
      while (!a.value()->emit(MakeEvent(tag, i))) usleep(100);
    }
    while (a.value()->sink(1).spooled() < kN) usleep(5000);
    usleep(100000);  // the writer flushes the spool at the end of its batch
    (void)!write(pipefd[1], "k", 1);
    pause();  // killed here, without any shutdown
    _exit(0);
  }
  char b;
  ASSERT_EQ(read(pipefd[0], &b, 1), 1);
  kill(child, SIGKILL);
  int st = 0;
  waitpid(child, &st, 0);
  ASSERT_TRUE(WIFSIGNALED(st));

  Collector col([](int) { return Collector::Reply::kOk; });
  config::AuditConfig c = Base();
  config::AuditSinkConfig s;
  s.name = "http";  // same name: same spool directory
  s.type = config::AuditSinkType::kHttp;
  s.url = "http://127.0.0.1:" + std::to_string(col.port()) + "/";
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(WaitFor([&] { return a.value()->idle(); }, 20000));
  a.value()->stop();
  ExpectAllDelivered(tag, Decompose(col.bodies()), kN);
}

TEST_F(AuditDelivery, SlackWebhookGetsOneAggregatedAlertForABurst) {
  Collector col([](int) { return Collector::Reply::kOk; });
  config::AuditConfig c = Base();
  config::AuditSinkConfig s;
  s.name = "slack";
  s.type = config::AuditSinkType::kSlack;
  s.url_env = "SLACK_WEBHOOK_URL";
  s.min_priority = 1;
  s.aggregate_window = std::chrono::milliseconds(700);
  c.sinks.push_back(s);
  std::string url = "http://127.0.0.1:" + std::to_string(col.port()) + "/services/T/B/X";
  auto a = Auditor::create(c, [&](std::string_view n) -> std::optional<std::string> {
    if (n == "SLACK_WEBHOOK_URL") return url;
    return std::nullopt;
  });
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 10000;
  for (int i = 0; i < kN; ++i) {
    while (!a.value()->emit(MakeEvent(tag, i))) usleep(100);
  }
  Event low = MakeEvent(tag, 0);  // P3 noise never reaches a P1 alert sink
  low.priority = Priority::kP3;
  low.action.set("request_limits.uri_too_long");
  a.value()->emit(low);
  ASSERT_TRUE(WaitFor([&] { return col.requests() >= 1; }, 10000));
  usleep(1000000);  // a second alert would have arrived by now
  a.value()->stop();
  auto bodies = col.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0].rfind("{\"text\":\"", 0), 0u) << bodies[0];
  EXPECT_NE(bodies[0].find("inspection.sqli"), std::string::npos) << bodies[0];
  EXPECT_NE(bodies[0].find("x10000"), std::string::npos) << bodies[0];
  EXPECT_NE(bodies[0].find("7 client(s)"), std::string::npos) << bodies[0];
}

}  // namespace
}  // namespace portcullis::audit
