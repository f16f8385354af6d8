// Configuration, reload, drain, the stage pipeline and the admin endpoints, through the real
// binary.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

TEST(Lifecycle, CheckCommandReportsFileLineAndReason) {
  char path[] = "/tmp/portcullis-check-XXXXXX.yaml";
  int fd = mkstemps(path, 5);
  ASSERT_GE(fd, 0);
  const std::string bad = "listen: \"127.0.0.1:0\"\nworkers: 1\ntimeouts:\n  request_hed: 5s\n";
  ASSERT_EQ(write(fd, bad.data(), bad.size()), static_cast<ssize_t>(bad.size()));
  close(fd);
  auto [code, out] = RunPortcullis({"check", "-c", path});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(std::string(path) + ":4"), std::string::npos) << out;
  EXPECT_NE(out.find("request_hed"), std::string::npos) << out;
  // The same file refuses to start the proxy, with the same message.
  auto [run_code, run_out] = RunPortcullis({"-c", path});
  EXPECT_EQ(run_code, 1);
  EXPECT_NE(run_out.find(std::string(path) + ":4"), std::string::npos) << run_out;
  unlink(path);
  auto [ok_code, ok_out] = RunPortcullis({"check"});
  EXPECT_EQ(ok_code, 0) << ok_out;
}

TEST(Lifecycle, AdminEndpoints) {
  TestOrigin origin;
  auto proxy = ProxyProcess::Start(BaseConfig(origin.port()));
  ASSERT_NE(proxy, nullptr);
  ASSERT_EQ(Fetch(proxy->port(), Get("/x"))->status, 200);
  auto health = Fetch(proxy->admin_port(), Get("/healthz"));
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  // Ready once the origin probe succeeded (it runs every second).
  int ready_status = 0;
  for (int i = 0; i < 50 && ready_status != 200; ++i) {
    ready_status = Fetch(proxy->admin_port(), Get("/readyz"))->status;
    if (ready_status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ready_status, 200);
  // The response can reach the client a moment before the worker records it: poll briefly.
  std::optional<HttpResponse> m;
  for (int i = 0; i < 50; ++i) {
    m = Fetch(proxy->admin_port(), Get("/metrics"));
    ASSERT_TRUE(m.has_value());
    if (m->body.find("portcullis_request_duration_seconds_count 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(m->body.find("portcullis_requests_total{code=\"2xx\"} 1"), std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("portcullis_request_duration_seconds_count 1"), std::string::npos);
  EXPECT_NE(m->body.find("portcullis_open_connections"), std::string::npos);
  EXPECT_NE(m->body.find("portcullis_received_bytes_total"), std::string::npos);
  EXPECT_EQ(Fetch(proxy->admin_port(), Get("/nope"))->status, 404);
}

TEST(Lifecycle, RequestLimitsStageEnforcesAndMonitors) {
  TestOrigin origin;
  auto proxy = ProxyProcess::Start(
      BaseConfig(origin.port(), "stages:\n  request_limits:\n    allowed_methods: [GET, HEAD]\n"));
  ASSERT_NE(proxy, nullptr);
  auto r = Fetch(proxy->port(), "DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  EXPECT_NE(r->body.find(r->headers["x-request-id"]), std::string::npos)
      << "the block page carries the request id";
  EXPECT_EQ(origin.requests_served(), 0u);
  auto m = Fetch(proxy->admin_port(), Get("/metrics"));
  EXPECT_NE(m->body.find("portcullis_blocks_total{stage=\"request_limits\",reason=\"method_not_"
                         "allowed\",mode=\"enforce\"} 1"),
            std::string::npos)
      << m->body;

  auto monitor = ProxyProcess::Start(BaseConfig(
      origin.port(),
      "stages:\n  request_limits:\n    mode: monitor\n    allowed_methods: [GET, HEAD]\n"));
  ASSERT_NE(monitor, nullptr);
  auto passed = Fetch(monitor->port(), "DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(passed.has_value());
  EXPECT_EQ(passed->status, 200) << "monitor mode must not block";
  auto mm = Fetch(monitor->admin_port(), Get("/metrics"));
  EXPECT_NE(mm->body.find("mode=\"monitor\"} 1"), std::string::npos) << mm->body;
}

TEST(Lifecycle, ReloadUnderLoadFailsNoRequest) {
  TestOrigin origin_a;
  TestOrigin origin_b;
  auto proxy = ProxyProcess::Start(BaseConfig(origin_a.port(), "", 2));
  ASSERT_NE(proxy, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      int fd = ConnectTcp(proxy->port());
      while (!stop.load()) {
        if (fd < 0 || !SendAll(fd, Get("/load"))) {
          failed++;
          break;
        }
        auto r = ReadResponse(fd, 5000);
        if (!r || r->status != 200) {
          failed++;
          if (fd >= 0) close(fd);
          fd = ConnectTcp(proxy->port());
          continue;
        }
        ok++;
      }
      if (fd >= 0) close(fd);
    });
  }
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    // Alternate between two origins and a broken file: the broken one must be refused.
    if (i == 3) {
      proxy->RewriteConfig("listen: [\n");
    } else {
      proxy->RewriteConfig(BaseConfig(i % 2 == 0 ? origin_b.port() : origin_a.port(), "", 2));
    }
    proxy->Signal(SIGHUP);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 100);
  EXPECT_GT(origin_a.requests_served(), 0u);
  EXPECT_GT(origin_b.requests_served(), 0u) << "reload did not switch the origin";
  EXPECT_NE(proxy->Log().find("reload refused"), std::string::npos) << proxy->Log();
  EXPECT_NE(proxy->Log().find("configuration reloaded"), std::string::npos);
}

TEST(Lifecycle, SigtermDrainsInFlightRequestsAndExitsZero) {
  TestOrigin origin;
  auto proxy = ProxyProcess::Start(BaseConfig(origin.port()));
  ASSERT_NE(proxy, nullptr);
  int idle = ConnectTcp(proxy->port());
  int busy = ConnectTcp(proxy->port());
  ASSERT_TRUE(SendAll(busy, Get("/delay/700")));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  proxy->Signal(SIGTERM);
  auto r = ReadResponse(busy, 5000);
  ASSERT_TRUE(r.has_value()) << "in-flight request was cut by the drain";
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(WaitClosed(idle, 3000)) << "idle connection should be closed at drain";
  EXPECT_EQ(proxy->WaitExit(5000), 0);
  EXPECT_LT(ConnectTcp(proxy->port()), 0) << "still accepting after exit";
  close(idle);
  close(busy);
}

}  // namespace
}  // namespace portcullis::testing
