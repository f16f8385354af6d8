// The origin lock through the real binary on loopback: a ranges file holding 127.0.0.1/32 makes
// 127.0.0.1 "Cloudflare" and 127.0.0.2 (bound as the source address) an outsider.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

constexpr char kSecret[] = "integration-secret-0123456789";
constexpr char kOldSecret[] = "integration-old-secret-98765";

class OriginLock : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/olock-it-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    ranges_ = dir_ + "/ranges.txt";
    WriteRanges("# taken: 2026-12-01\n127.0.0.1/32\n");
    origin_ = std::make_unique<TestOrigin>();
  }
  void TearDown() override {
    proxy_.reset();
    std::remove(ranges_.c_str());
    rmdir(dir_.c_str());
  }
  void WriteRanges(const std::string& text) { std::ofstream(ranges_, std::ios::trunc) << text; }
  std::string Config(const std::string& lock_body) const {
    return BaseConfig(origin_->port(),
                      "origin_lock:\n  ranges_file: \"" + ranges_ + "\"\n" + lock_body);
  }
  void Start(const std::string& lock_body, const std::vector<std::string>& env = {}) {
    proxy_ = ProxyProcess::Start(Config(lock_body), env);
    ASSERT_NE(proxy_, nullptr);
  }
  // One request from `source_ip`; nullopt if the connection closed without a response.
  std::optional<HttpResponse> From(const char* source_ip, const std::string& request) {
    int fd = ConnectTcp(proxy_->port(), source_ip);
    EXPECT_GE(fd, 0) << "cannot bind " << source_ip;
    if (fd < 0) return std::nullopt;
    EXPECT_TRUE(SendAll(fd, request));
    auto r = ReadResponse(fd, 3000);
    close(fd);
    return r;
  }
  bool OriginSaw(const std::string& needle) {
    for (const std::string& h : origin_->received_heads()) {
      if (h.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::string dir_, ranges_;
  std::unique_ptr<TestOrigin> origin_;
  std::unique_ptr<ProxyProcess> proxy_;
};

TEST_F(OriginLock, PeerInRangesPassesOutsiderGets403) {
  Start("  mode: enforce\n");
  auto in = From("127.0.0.1", Get("/inside"));
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->status, 200);
  auto out = From("127.0.0.2", Get("/outside"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, 403);
  EXPECT_NE(out->body.find("origin_lock_untrusted_peer"), std::string::npos) << out->body;
  EXPECT_FALSE(OriginSaw("/outside")) << "a blocked request never reaches the origin";
}

TEST_F(OriginLock, CloseActionDropsTheConnectionWithoutAResponse) {
  Start("  mode: enforce\n  action: close\n");
  auto out = From("127.0.0.2", Get("/outside"));
  EXPECT_FALSE(out.has_value()) << "got status " << (out ? out->status : 0);
  auto in = From("127.0.0.1", Get("/inside"));
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->status, 200);
  EXPECT_FALSE(OriginSaw("/outside"));
}

TEST_F(OriginLock, EnvironmentTurnsTheLockOn) {
  Start("", {"ENFORCE_CF_ORIGIN_LOCK=true"});
  auto out = From("127.0.0.2", Get("/outside"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, 403);
  auto in = From("127.0.0.1", Get("/inside"));
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->status, 200);
}

TEST_F(OriginLock, MonitorModeLetsOutsidersThrough) {
  Start("", {"ENFORCE_CF_ORIGIN_LOCK=monitor"});
  auto out = From("127.0.0.2", Get("/outside"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, 200);
  EXPECT_TRUE(OriginSaw("/outside"));
}

TEST_F(OriginLock, SpoofedCfConnectingIpFromOutsiderIsIgnored) {
  Start("  mode: monitor\n");
  auto r = From("127.0.0.2", Get("/spoof",
                                 "CF-Connecting-IP: 1.1.1.1\r\nTrue-Client-IP: 8.8.8.8\r\n"
                                 "X-Forwarded-For: 9.9.9.9\r\n"));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200);
  const std::string& echo = r->body;
  EXPECT_NE(echo.find("X-Forwarded-For: 127.0.0.2\r\n"), std::string::npos) << echo;
  EXPECT_EQ(echo.find("1.1.1.1"), std::string::npos) << echo;
  EXPECT_EQ(echo.find("8.8.8.8"), std::string::npos) << echo;
  EXPECT_EQ(echo.find("9.9.9.9"), std::string::npos) << "XFF from an outsider is not passed on";
}

TEST_F(OriginLock, TrustedPeerSetsTheRealClientAndXffIsRebuilt) {
  Start("  mode: enforce\n");
  auto r = From("127.0.0.1", Get("/real",
                                 "CF-Connecting-IP: 198.51.100.7\r\n"
                                 "X-Forwarded-For: 6.6.6.6, 198.51.100.7\r\n"));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200);
  const std::string& echo = r->body;
  EXPECT_NE(echo.find("X-Forwarded-For: 198.51.100.7\r\n"), std::string::npos) << echo;
  EXPECT_EQ(echo.find("6.6.6.6"), std::string::npos) << echo;
  EXPECT_NE(echo.find("CF-Connecting-IP: 198.51.100.7\r\n"), std::string::npos) << echo;
}

TEST_F(OriginLock, SecretHeaderIsCheckedAndNeverReachesTheOrigin) {
  Start("  mode: enforce\n", {std::string("ORIGIN_SHARED_SECRET=") + kSecret});
  auto ok =
      From("127.0.0.1", Get("/with-secret", std::string("X-Origin-Secret: ") + kSecret + "\r\n"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body.find(kSecret), std::string::npos) << ok->body;
  EXPECT_EQ(ok->body.find("X-Origin-Secret"), std::string::npos);
  EXPECT_FALSE(OriginSaw(kSecret));

  auto missing = From("127.0.0.1", Get("/no-secret"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 403);
  auto wrong = From("127.0.0.1", Get("/wrong-secret", "X-Origin-Secret: guess-guess-guess\r\n"));
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 403);
  EXPECT_FALSE(OriginSaw("guess-guess-guess"));
}

TEST_F(OriginLock, ValidSecretFromOutsiderIsReportedAsLeak) {
  Start("  mode: enforce\n", {std::string("ORIGIN_SHARED_SECRET=") + kSecret});
  auto r = From("127.0.0.2", Get("/leak", std::string("X-Origin-Secret: ") + kSecret + "\r\n"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("secret_from_untrusted_peer"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find(kSecret), std::string::npos);
}

TEST_F(OriginLock, RotationAcceptsBothSecrets) {
  Start("  mode: enforce\n", {std::string("ORIGIN_SHARED_SECRET=") + kSecret,
                              std::string("ORIGIN_SHARED_SECRET_PREVIOUS=") + kOldSecret});
  for (const char* s : {kSecret, kOldSecret}) {
    auto r = From("127.0.0.1", Get("/rot", std::string("X-Origin-Secret: ") + s + "\r\n"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200) << s;
  }
  auto other = From("127.0.0.1", Get("/rot", "X-Origin-Secret: not-one-of-the-two-secrets\r\n"));
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->status, 403);
  EXPECT_FALSE(OriginSaw(kOldSecret));
}

TEST_F(OriginLock, HostAllowList) {
  Start("  mode: enforce\n  allowed_hosts: [app.example]\n");
  auto ok = From("127.0.0.1", "GET / HTTP/1.1\r\nHost: app.example\r\n\r\n");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  auto bad = From("127.0.0.1", "GET / HTTP/1.1\r\nHost: 203.0.113.10\r\n\r\n");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 403);
}

TEST_F(OriginLock, ReloadKeepsTheLastGoodListWhenTheNewOneIsBroken) {
  WriteRanges("127.0.0.1/32\n127.0.0.3/32\n127.0.0.5/32\n127.0.0.7/32\n");
  Start("  mode: enforce\n");
  WriteRanges("<html>502</html>\n");
  proxy_->Signal(SIGHUP);
  ASSERT_TRUE(proxy_->WaitForLog("keeping the last good list", 5000)) << proxy_->Log();
  ASSERT_TRUE(proxy_->WaitForLog("configuration reloaded", 5000)) << proxy_->Log();
  auto in = From("127.0.0.1", Get("/after-reload"));
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->status, 200);
  // A good list is taken on the next reload.
  WriteRanges("127.0.0.2/32\n127.0.0.3/32\n");
  proxy_->Signal(SIGHUP);
  ASSERT_TRUE(proxy_->WaitForLog("(generation 3)", 5000)) << proxy_->Log();
  // Workers pick up the new runtime asynchronously after the log line: poll briefly.
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    auto r = From("127.0.0.2", Get("/after-second-reload"));
    status = r ? r->status : 0;
    if (status != 200) usleep(20000);
  }
  EXPECT_EQ(status, 200) << proxy_->Log();
  auto now_out = From("127.0.0.1", Get("/after-second-reload"));
  ASSERT_TRUE(now_out.has_value());
  EXPECT_EQ(now_out->status, 403);
}

TEST_F(OriginLock, StartupFailsOnABrokenList) {
  WriteRanges("not a cidr\n");
  auto proxy = ProxyProcess::Start(Config("  mode: enforce\n"));
  EXPECT_EQ(proxy, nullptr) << "no last good list at start-up: refuse to start";
}

TEST_F(OriginLock, AuthenticatedOriginPullsWithoutTlsListenersIsRefusedAtConfigCheck) {
  std::string path = dir_ + "/aop.yaml";
  std::ofstream(path) << Config("  mode: enforce\n  authenticated_origin_pulls: true\n");
  auto [code, out] = RunPortcullis({"check", "-c", path});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("need every listener to be TLS"), std::string::npos) << out;
  std::remove(path.c_str());
}

TEST_F(OriginLock, StaleRangesListRaisesOneP3AuditEvent) {
  WriteRanges("# taken: 2020-01-01\n127.0.0.1/32\n");
  const std::string audit = dir_ + "/audit.json";
  proxy_ = ProxyProcess::Start(Config("  mode: enforce\n  max_ranges_age_days: 30\n") +
                               "audit:\n  spool_dir: \"" + dir_ +
                               "/spool\"\n  sinks:\n"
                               "    - {name: f, type: file, path: \"" +
                               audit + "\", min_priority: P3}\n");
  ASSERT_NE(proxy_, nullptr);
  std::string events;
  for (int i = 0; i < 100 && events.find("cloudflare.ranges_stale") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(audit);
    events.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_NE(events.find("\"action\":\"cloudflare.ranges_stale\""), std::string::npos) << events;
  EXPECT_NE(events.find("\"priority\":\"P3\""), std::string::npos) << events;
  // Once a day at most, not once per probe.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::ifstream again(audit);
  std::string later((std::istreambuf_iterator<char>(again)), {});
  size_t n = 0;
  for (size_t p = later.find("cloudflare.ranges_stale"); p != std::string::npos;
       p = later.find("cloudflare.ranges_stale", p + 1)) {
    ++n;
  }
  EXPECT_EQ(n, 1u);
  proxy_.reset();
  std::string rm = "rm -rf '" + dir_ + "/spool' '" + audit + "'";
  (void)!std::system(rm.c_str());
}

}  // namespace
}  // namespace portcullis::testing
