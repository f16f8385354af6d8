// Slack alerts are as durable as the other sinks, through the real binary: the webhook is down
// during a burst of attacks, Portcullis is killed with -9, started again with the webhook up, and
// exactly one aggregated alert with the full count arrives (slack_sink.h, slack_state.h).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/audit/collector.h"
#include "tests/integration/audit/delivery.h"
#include "tests/integration/harness.h"
#include "tests/support/http_client.h"
#include "tests/support/proxy_process.h"
#include "tests/support/test_origin.h"

namespace portcullis::audit {
namespace {

namespace fs = std::filesystem;
using portcullis::testing::BaseConfig;
using portcullis::testing::Fetch;
using portcullis::testing::Get;
using portcullis::testing::ProxyProcess;
using portcullis::testing::TestOrigin;
using testing::Collector;
using testing::FreePort;

// The value of `name{labels}` in /metrics, or -1.
long Metric(const ProxyProcess& p, const std::string& series) {
  auto m = Fetch(p.admin_port(), Get("/metrics"));
  if (!m) return -1;
  size_t pos = m->body.find(series + " ");
  if (pos == std::string::npos) return -1;
  return std::stol(m->body.substr(pos + series.size() + 1));
}

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}

TEST(AuditSlackRestart, KilledWhileTheWebhookIsDownSendsOneAlertWithTheFullCountAfterRestart) {
  char tmpl[] = "/tmp/audit-slack-it-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const uint16_t hook_port = FreePort();  // nobody listens yet: the webhook is down
  const std::vector<std::string> env = {
      "SLACK_WEBHOOK_URL=http://127.0.0.1:" + std::to_string(hook_port) + "/services/T0/B0/XYZ"};
  TestOrigin origin;
  // The reference file sink sees exactly the events the Slack sink sees (same filter).
  const std::string config = BaseConfig(origin.port(),
                                        "audit:\n"
                                        "  spool_dir: \"" +
                                            dir +
                                            "/spool\"\n"
                                            "  sinks:\n"
                                            "    - {name: reference, type: file, path: \"" +
                                            dir +
                                            "/reference.json\", min_priority: P1, actions: "
                                            "[\"inspection.*\"]}\n"
                                            "    - {name: slack, type: slack, min_priority: P1, "
                                            "actions: [\"inspection.*\"], aggregate_window: 3s, "
                                            "timeout: 300ms, backoff_max: 200ms}\n");
  constexpr int kAttacks = 300;
  {
    auto proxy = ProxyProcess::Start(config, env);
    ASSERT_NE(proxy, nullptr);
    int blocked = 0;
    for (int i = 0; i < kAttacks; ++i) {  // injection on an admin route: P1
      auto r = Fetch(proxy->port(),
                     Get("/admin/users?id=" + std::to_string(i) + "%27%20OR%20%271%27=%271"));
      blocked += r && r->status == 403;
    }
    ASSERT_EQ(blocked, kAttacks);
    // Every event counted by the Slack sink (its state file is fsynced before it says so).
    const std::string sent = "portcullis_audit_sink_sent_total{sink=\"slack\",type=\"slack\"}";
    long n = -1;
    for (int i = 0; i < 250 && n != kAttacks; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      n = Metric(*proxy, sent);
    }
    ASSERT_EQ(n, kAttacks) << proxy->Log();
    EXPECT_TRUE(fs::exists(dir + "/spool/slack/slack.state"));
    proxy->Signal(SIGKILL);
    proxy->WaitExit(5000);
  }
  ASSERT_EQ(CountLines(dir + "/reference.json"), static_cast<size_t>(kAttacks));

  Collector hook([](int) { return Collector::Reply::kOk; }, hook_port);  // the webhook is back
  auto proxy = ProxyProcess::Start(config, env);
  ASSERT_NE(proxy, nullptr);
  for (int i = 0; i < 500 && hook.requests() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(hook.requests(), 1) << "no alert after restart\n" << proxy->Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a second one would be here
  auto bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_NE(bodies[0].find("[P1] Portcullis: inspection."), std::string::npos) << bodies[0];
  EXPECT_NE(bodies[0].find(" x" + std::to_string(kAttacks) + " "), std::string::npos) << bodies[0];
  EXPECT_NE(bodies[0].find("first: GET /admin/users"), std::string::npos) << bodies[0];
  EXPECT_EQ(hook.last_head().rfind("POST /services/T0/B0/XYZ HTTP/1.1", 0), 0u);
  proxy.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace portcullis::audit
