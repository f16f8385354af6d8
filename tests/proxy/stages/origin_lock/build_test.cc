// build_origin_lock: environment handling, start-up errors, and the reload guard of the ranges.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "proxy/stages/origin_lock/origin_lock_stage.h"
#include "rules/net/cloudflare_ranges.h"

namespace portcullis::origin_lock {
namespace {

config::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/olock-ranges-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

net::IpAddress ip(const char* text) { return net::IpAddress::parse(text).value(); }

TEST(BuildOriginLock, NothingConfiguredMeansNoStage) {
  RangesStore store;
  auto b = build_origin_lock(config::OriginLockConfig{}, config::no_env(), store);
  ASSERT_TRUE(b.ok()) << b.error().reason;
  EXPECT_EQ(b->stage, nullptr);
  EXPECT_FALSE(store.current().has_value()) << "no list loaded for a disabled lock";
}

TEST(BuildOriginLock, EnvTurnsTheLockOnWithShippedRanges) {
  RangesStore store;
  auto b = build_origin_lock({}, env_of({{"ENFORCE_CF_ORIGIN_LOCK", "true"}}), store);
  ASSERT_TRUE(b.ok()) << b.error().reason;
  ASSERT_NE(b->stage, nullptr);
  EXPECT_EQ(b->mode, config::StageMode::kEnforce);
  EXPECT_TRUE(b->stage->settings().real_client_ip) << "on by default with the lock";
  EXPECT_TRUE(b->stage->peer_trusted(ip("173.245.48.1")));
  EXPECT_TRUE(b->stage->peer_trusted(ip("2400:cb00::1")));
  EXPECT_FALSE(b->stage->peer_trusted(ip("127.0.0.1")));
  EXPECT_EQ(store.current()->source, "<shipped>");
}

TEST(BuildOriginLock, EnvModes) {
  RangesStore store;
  config::OriginLockConfig cfg;
  cfg.mode = config::LockMode::kEnforce;
  auto monitor = build_origin_lock(cfg, env_of({{"ENFORCE_CF_ORIGIN_LOCK", "monitor"}}), store);
  ASSERT_TRUE(monitor.ok());
  EXPECT_EQ(monitor->mode, config::StageMode::kMonitor);
  auto off = build_origin_lock(cfg, env_of({{"ENFORCE_CF_ORIGIN_LOCK", "false"}}), store);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->stage, nullptr) << "env false overrides the file's enforce";
  auto bad = build_origin_lock(cfg, env_of({{"ENFORCE_CF_ORIGIN_LOCK", "yes"}}), store);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().reason.find("ENFORCE_CF_ORIGIN_LOCK"), std::string::npos);
  auto empty = build_origin_lock(cfg, env_of({{"ENFORCE_CF_ORIGIN_LOCK", ""}}), store);
  EXPECT_FALSE(empty.ok());
}

TEST(BuildOriginLock, RealClientIpAloneBuildsANonBlockingStage) {
  RangesStore store;
  config::OriginLockConfig cfg;
  cfg.real_client_ip = true;
  auto b = build_origin_lock(cfg, config::no_env(), store);
  ASSERT_TRUE(b.ok());
  ASSERT_NE(b->stage, nullptr);
  EXPECT_EQ(b->stage->settings().mode, config::LockMode::kOff);
}

TEST(BuildOriginLock, SecretsFromEnv) {
  RangesStore store;
  config::OriginLockConfig cfg;
  cfg.mode = config::LockMode::kEnforce;
  auto ok = build_origin_lock(cfg,
                              env_of({{"ORIGIN_SHARED_SECRET", "0123456789abcdef-new"},
                                      {"ORIGIN_SHARED_SECRET_PREVIOUS", "0123456789abcdef-old"}}),
                              store);
  ASSERT_TRUE(ok.ok()) << ok.error().reason;
  EXPECT_TRUE(ok->stage->settings().secret.rotating());
  EXPECT_TRUE(ok->stage->settings().secret.matches("0123456789abcdef-old"));

  auto shortsecret = build_origin_lock(cfg, env_of({{"ORIGIN_SHARED_SECRET", "short"}}), store);
  ASSERT_FALSE(shortsecret.ok());
  EXPECT_NE(shortsecret.error().reason.find("shorter than 16"), std::string::npos);
  auto prev_only = build_origin_lock(
      cfg, env_of({{"ORIGIN_SHARED_SECRET_PREVIOUS", "0123456789abcdef-old"}}), store);
  EXPECT_FALSE(prev_only.ok());
  auto empty = build_origin_lock(cfg, env_of({{"ORIGIN_SHARED_SECRET", ""}}), store);
  EXPECT_FALSE(empty.ok()) << "an empty secret must never mean 'no secret'";
  cfg.require_secret = true;
  auto missing = build_origin_lock(cfg, config::no_env(), store);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().reason.find("ORIGIN_SHARED_SECRET is not set"), std::string::npos);
}

TEST(BuildOriginLock, LockWithoutAnyMechanismIsAnError) {
  RangesStore store;
  config::OriginLockConfig cfg;
  cfg.mode = config::LockMode::kEnforce;
  cfg.require_trusted_peer = false;
  auto b = build_origin_lock(cfg, config::no_env(), store);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().reason.find("no mechanism"), std::string::npos);
  cfg.allowed_hosts = {"app.example"};
  EXPECT_TRUE(build_origin_lock(cfg, config::no_env(), store).ok());
}

TEST(BuildOriginLock, TrustedProxiesAreValidated) {
  RangesStore store;
  config::OriginLockConfig cfg;
  cfg.mode = config::LockMode::kEnforce;
  cfg.trusted_proxies = {"127.0.0.1/32", "10.0.0.1/8"};
  auto b = build_origin_lock(cfg, config::no_env(), store);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().reason.find("trusted_proxies[1]"), std::string::npos) << b.error().reason;
  cfg.trusted_proxies = {"127.0.0.1/32", "::1"};
  cfg.cloudflare_ranges = false;
  auto ok = build_origin_lock(cfg, config::no_env(), store);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->stage->peer_trusted(ip("::1")));
  EXPECT_FALSE(ok->stage->peer_trusted(ip("173.245.48.1")));
}

TEST(BuildOriginLock, RangesFileFromEnvAndConfig) {
  RangesStore store;
  std::string path = write_temp("# taken: 2026-01-01\n127.0.0.1/32\n");
  config::OriginLockConfig cfg;
  cfg.mode = config::LockMode::kEnforce;
  cfg.ranges_file = "/nonexistent/file";
  auto b = build_origin_lock(cfg, env_of({{"CF_IP_RANGES_FILE", path}}), store);
  ASSERT_TRUE(b.ok()) << b.error().reason;
  EXPECT_TRUE(b->stage->peer_trusted(ip("127.0.0.1")));
  EXPECT_FALSE(b->stage->peer_trusted(ip("127.0.0.2")));
  EXPECT_FALSE(b->stage->peer_trusted(ip("173.245.48.1"))) << "the file replaces the shipped list";
  RangesStore fresh;
  auto missing = build_origin_lock(cfg, config::no_env(), fresh);
  ASSERT_FALSE(missing.ok()) << "no last good list at start-up: refuse to start";
  EXPECT_NE(missing.error().reason.find("/nonexistent/file"), std::string::npos);
  std::remove(path.c_str());
}

TEST(RangesReload, BrokenEmptyOrShrunkListKeepsTheLastGoodOne) {
  RangesStore store;
  config::OriginLockConfig cfg;
  cfg.mode = config::LockMode::kEnforce;
  std::string path = write_temp("10.0.0.0/24\n10.0.2.0/24\n10.0.4.0/24\n10.0.6.0/24\n");
  cfg.ranges_file = path;
  auto first = build_origin_lock(cfg, config::no_env(), store);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(store.current()->ranges, 4u);

  auto rewrite = [&](const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
    return build_origin_lock(cfg, config::no_env(), store);
  };
  auto broken = rewrite("<html>502 Bad Gateway</html>\n");
  ASSERT_TRUE(broken.ok()) << "reload keeps working with the last good list";
  ASSERT_EQ(broken->warnings.size(), 1u);
  EXPECT_NE(broken->warnings[0].find("does not parse"), std::string::npos);
  EXPECT_TRUE(broken->stage->peer_trusted(ip("10.0.6.1")));

  auto empty = rewrite("# nothing\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_NE(empty->warnings.at(0).find("is empty"), std::string::npos);
  EXPECT_TRUE(empty->stage->peer_trusted(ip("10.0.0.1")));

  auto shrunk = rewrite("10.0.0.0/24\n");  // 4 -> 1
  ASSERT_TRUE(shrunk.ok());
  EXPECT_NE(shrunk->warnings.at(0).find("shrank from 4 to 1"), std::string::npos);
  EXPECT_TRUE(shrunk->stage->peer_trusted(ip("10.0.6.1")));

  // Adjacent CIDRs merge into one range; the rule counts the publisher's entries, not ranges.
  auto half = rewrite("10.0.0.0/24\n10.0.1.0/24\n");  // exactly half: accepted
  ASSERT_TRUE(half.ok());
  EXPECT_TRUE(half->warnings.empty());
  EXPECT_FALSE(half->stage->peer_trusted(ip("10.0.6.1")));
  EXPECT_EQ(store.refused_total(), 3u);

  // A different source is a deliberate change: the shrink rule does not apply.
  std::string other = write_temp("127.0.0.1/32\n");
  cfg.ranges_file = other;
  auto switched = build_origin_lock(cfg, config::no_env(), store);
  ASSERT_TRUE(switched.ok());
  EXPECT_TRUE(switched->warnings.empty());
  EXPECT_TRUE(switched->stage->peer_trusted(ip("127.0.0.1")));
  std::remove(path.c_str());
  std::remove(other.c_str());
}

TEST(RangesMetrics, AgeCountAndRefusals) {
  RangesStore store;
  std::string out;
  render_metrics(store, std::chrono::system_clock::now(), out);
  EXPECT_TRUE(out.empty()) << "nothing before a list was loaded";
  EXPECT_EQ(count_entries("# c\n\n 1.2.3.0/24 # x\n\t\r\n::1\n  # indented comment\n"), 2u);
  ASSERT_TRUE(
      store.offer(net::parse_range_file("# taken: 2026-01-01\n1.2.3.0/24\n", "t"), "t", 1).ok());
  // 2026-01-11T12:00:00Z is 10.5 days after the taken date.
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1768132800));
  render_metrics(store, now, out);
  EXPECT_NE(out.find("\nportcullis_cloudflare_ranges_age_seconds 907200\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("\nportcullis_cloudflare_ranges 1\n"), std::string::npos);
  EXPECT_NE(out.find("\nportcullis_cloudflare_ranges_refused_total 0\n"), std::string::npos);
  EXPECT_NE(out.find("# TYPE portcullis_cloudflare_ranges_age_seconds gauge"), std::string::npos);
}

TEST(RangesMetrics, ShippedListHasADate) {
  auto shipped = net::cloudflare_ranges();
  ASSERT_TRUE(shipped.ok());
  ASSERT_TRUE(shipped->taken.has_value()) << "the age metric needs the '# taken:' header";
}

}  // namespace
}  // namespace portcullis::origin_lock
