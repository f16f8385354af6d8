// SlackSink durability: windows and outbox on disk (slack_state.h), restored after a crash,
// outbox overflow counted and announced once the webhook is back.
#include "proxy/audit/slack_sink.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "proxy/audit/atomic_file.h"
#include "proxy/audit/slack_state.h"
#include "tests/integration/audit/collector.h"

namespace portcullis::audit {
namespace {

namespace fs = std::filesystem;
using testing::Collector;

Record Alert(std::string_view action, std::string_view ip, uint8_t prio = 1) {
  Record r;
  r.priority = prio;
  r.json = std::string("{\"event\":{\"action\":\"") + std::string(action) +
           "\"},\"client\":{\"ip\":\"" + std::string(ip) +
           "\"},\"http\":{\"request\":{\"method\":\"GET\"}},\"url\":{\"path\":\"/admin\"},"
           "\"portcullis\":{\"detector\":\"sqli\"}}";
  return r;
}

// Nobody listens there: connection refused at once.
Url DeadWebhook() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t l = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l);
  close(fd);
  return parse_url("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/hook").value();
}

class SlackDurability : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/audit-slack-XXXXXX";
    dir_ = mkdtemp(tmpl);
    state_ = dir_ + "/slack.state";
    cfg_.name = "slack";
    cfg_.type = config::AuditSinkType::kSlack;
    cfg_.aggregate_window = std::chrono::milliseconds(300);
    cfg_.timeout = std::chrono::milliseconds(500);
    cfg_.backoff_max = std::chrono::milliseconds(1);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_, state_;
  config::AuditSinkConfig cfg_;
};

TEST(SlackState, RoundTripsAndRejectsDamage) {
  SlackState s;
  SlackWindow w;
  w.opened_ms = 1714564800123;
  w.count = 10000;
  w.priority = 1;
  w.action = "inspection.sqli";
  w.detector = "sqli";
  w.sample = "GET /admin?id=1";
  w.clients = {"198.51.100.7", "2001:db8::1"};
  s.windows["inspection.sqli|sqli"] = w;
  s.outbox.push_back({"{\"text\":\"x\"}", 42});
  s.unannounced_drops = 7;
  s.recent_ids.push_back({0x0123456789abcdefULL, 42});
  std::string enc;
  encode_slack_state(s, enc);
  auto back = decode_slack_state(enc);
  ASSERT_TRUE(back.ok()) << back.error().reason;
  EXPECT_EQ(back.value(), s);
  for (size_t i = 0; i < enc.size(); i += 7) {  // any flipped byte is caught
    std::string bad = enc;
    bad[i] ^= 0x20;
    EXPECT_FALSE(decode_slack_state(bad).ok()) << "byte " << i;
  }
  for (size_t n = 0; n < enc.size(); n += 5) {  // any truncation is caught
    EXPECT_FALSE(decode_slack_state(std::string_view(enc).substr(0, n)).ok()) << n;
  }
}

TEST_F(SlackDurability, CrashWithTheWebhookDownKeepsTheWindowAndItsCount) {
  {
    SlackSink sink(cfg_, DeadWebhook(), state_);
    std::vector<Record> batch;
    for (int i = 0; i < 500; ++i)
      batch.push_back(Alert("inspection.sqli", i % 3 ? "10.0.0.1" : "10.0.0.2"));
    ASSERT_TRUE(sink.deliver(batch).ok());
    ASSERT_TRUE(sink.deliver(batch).ok());
  }  // "kill -9": nothing is written at destruction, the file is all there is
  Collector hook([](int) { return Collector::Reply::kOk; });
  SlackSink sink(cfg_, parse_url("http://127.0.0.1:" + std::to_string(hook.port()) + "/h").value(),
                 state_);
  EXPECT_TRUE(sink.load_error().empty()) << sink.load_error();
  ASSERT_EQ(sink.state().windows.size(), 1u);
  EXPECT_EQ(sink.state().windows.begin()->second.count, 1000u);
  usleep(350000);  // the window ends
  sink.poll();
  auto bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_NE(bodies[0].find("inspection.sqli (sqli) x1000"), std::string::npos) << bodies[0];
  EXPECT_NE(bodies[0].find("2 client(s)"), std::string::npos) << bodies[0];
  // Delivered: the file no longer holds it, a further restart sends nothing.
  SlackSink again(cfg_, DeadWebhook(), state_);
  EXPECT_TRUE(again.state().windows.empty());
  EXPECT_TRUE(again.state().outbox.empty());
}

TEST_F(SlackDurability, AWindowThatEndedWhileDownIsSentAtStart) {
  {
    SlackSink sink(cfg_, DeadWebhook(), state_);
    std::vector<Record> batch(3, Alert("origin_lock.secret_from_untrusted_peer", "192.0.2.1", 0));
    ASSERT_TRUE(sink.deliver(batch).ok());
    usleep(350000);
    sink.poll();  // closed into the outbox; the POST fails
    EXPECT_TRUE(sink.state().windows.empty());
    EXPECT_EQ(sink.state().outbox.size(), 1u);
  }
  Collector hook([](int) { return Collector::Reply::kOk; });
  SlackSink sink(cfg_, parse_url("http://127.0.0.1:" + std::to_string(hook.port()) + "/h").value(),
                 state_);
  sink.poll();
  auto bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_NE(bodies[0].find("[P0] Portcullis: origin_lock.secret_from_untrusted_peer"),
            std::string::npos)
      << bodies[0];
  EXPECT_NE(bodies[0].find(" x3 "), std::string::npos) << bodies[0];
}

TEST_F(SlackDurability, OutboxOverflowIsCountedAndAnnouncedWhenTheWebhookIsBack) {
  cfg_.aggregate_window = std::chrono::milliseconds(0);  // every poll closes every window
  constexpr size_t kAlerts = SlackState::kMaxOutbox + 44;
  static_assert(kAlerts % 60 == 0);
  {
    SlackSink sink(cfg_, DeadWebhook(), state_);
    for (size_t b = 0; b < kAlerts / 60; ++b) {  // 60 distinct windows per batch
      std::vector<Record> batch;
      for (size_t i = b * 60; i < (b + 1) * 60; ++i) {
        char action[32];
        snprintf(action, sizeof(action), "rate_limit.auto_block_%03zu", i);
        batch.push_back(Alert(action, "10.0.0.9"));
        batch.push_back(Alert(action, "10.0.0.9"));
      }
      ASSERT_TRUE(sink.deliver(batch).ok());  // deliver polls: closes the windows at once
    }
    EXPECT_EQ(sink.state().outbox.size(), SlackState::kMaxOutbox);
    EXPECT_EQ(sink.dropped(), 2 * 44u);  // events of the 44 oldest alerts
    EXPECT_EQ(sink.take_unannounced_drops(), 0u) << "the webhook is still down";
  }
  Collector hook([](int) { return Collector::Reply::kOk; });
  SlackSink sink(cfg_, parse_url("http://127.0.0.1:" + std::to_string(hook.port()) + "/h").value(),
                 state_);
  EXPECT_EQ(sink.take_unannounced_drops(), 0u) << "not before the webhook accepted an alert";
  sink.poll();
  EXPECT_EQ(hook.bodies().size(), SlackState::kMaxOutbox);
  EXPECT_NE(hook.bodies()[0].find("rate_limit.auto_block_044 "), std::string::npos)
      << "oldest kept alert first";
  EXPECT_EQ(sink.take_unannounced_drops(), 2 * 44u);
  EXPECT_EQ(sink.take_unannounced_drops(), 0u);
  SlackSink again(cfg_, DeadWebhook(), state_);
  EXPECT_EQ(again.state().unannounced_drops, 0u) << "the announcement is durable too";
}

TEST_F(SlackDurability, ABatchSentAgainIsNotCountedTwiceEvenAcrossARestart) {
  std::vector<Record> batch;
  for (int i = 0; i < 300; ++i) {
    Record r = Alert("inspection.sqli", "10.0.0.1");
    char id[40];
    snprintf(id, sizeof(id), "0123456789abcdef%016x", i);
    r.json.insert(1, std::string("\"id\":\"") + id + "\",");
    batch.push_back(r);
  }
  {
    SlackSink sink(cfg_, DeadWebhook(), state_);
    ASSERT_TRUE(sink.deliver(batch).ok());
    ASSERT_TRUE(sink.deliver(std::span(batch).subspan(100)).ok());  // the runner resends
    EXPECT_EQ(sink.state().windows.begin()->second.count, 300u);
    EXPECT_EQ(sink.duplicates(), 200u);
  }
  SlackSink sink(cfg_, DeadWebhook(), state_);  // crash before the spool cursor moved: replay
  ASSERT_TRUE(sink.deliver(batch).ok());
  EXPECT_EQ(sink.state().windows.begin()->second.count, 300u);
  std::vector<Record> fresh(2, Alert("inspection.sqli", "10.0.0.1"));  // no id: always counted
  ASSERT_TRUE(sink.deliver(fresh).ok());
  EXPECT_EQ(sink.state().windows.begin()->second.count, 302u);
}

TEST_F(SlackDurability, DistinctKeysBeyondTheLimitShareOneWindow) {
  cfg_.aggregate_window = std::chrono::milliseconds(60000);
  SlackSink sink(cfg_, DeadWebhook(), state_);
  std::vector<Record> batch;
  for (size_t i = 0; i < SlackState::kMaxWindows + 10; ++i) {
    batch.push_back(Alert("custom_rules.r" + std::to_string(i), "10.0.0.3"));
  }
  ASSERT_TRUE(sink.deliver(batch).ok());
  EXPECT_EQ(sink.state().windows.size(), SlackState::kMaxWindows);
  uint64_t total = 0;
  for (const auto& [k, w] : sink.state().windows) total += w.count;
  EXPECT_EQ(total, SlackState::kMaxWindows + 10) << "no count is lost";
}

TEST_F(SlackDurability, AStateFileThatCannotBePersistedRefusesTheBatch) {
  SlackSink sink(cfg_, DeadWebhook(), dir_ + "/missing-dir/slack.state");
  std::vector<Record> batch(5, Alert("inspection.xss", "10.0.0.4"));
  EXPECT_FALSE(sink.deliver(batch).ok()) << "the runner must spool it";
  EXPECT_TRUE(sink.state().windows.empty()) << "no half-counted batch (the retry recounts it)";
}

TEST_F(SlackDurability, ACorruptStateFileIsSetAsideAndTheSinkStartsEmpty) {
  ASSERT_TRUE(write_file_atomic(state_, "PCSLACK1 garbage").ok());
  SlackSink sink(cfg_, DeadWebhook(), state_);
  EXPECT_FALSE(sink.load_error().empty());
  EXPECT_TRUE(sink.state().windows.empty());
  EXPECT_TRUE(fs::exists(state_ + ".corrupt"));
  std::vector<Record> batch(1, Alert("inspection.xss", "10.0.0.4"));
  EXPECT_TRUE(sink.deliver(batch).ok());
}

}  // namespace
}  // namespace portcullis::audit
