// The origin_lock config section (proxy/config/section_origin_lock.cc): keys, grammar, refusals.
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/config.h"
#include "proxy/config/origin_lock_config.h"

namespace portcullis::config {
namespace {

Result<Config> load(const std::string& body) {
  return load_config_string("origin_lock:\n" + body, "t.yaml", no_env());
}

TEST(OriginLockSection, DefaultsWhenAbsent) {
  auto c = load_config_string("listen: \"127.0.0.1:8080\"\n", "t.yaml", no_env());
  ASSERT_TRUE(c.ok()) << c.error().reason;
  EXPECT_EQ(c->origin_lock, OriginLockConfig{});
  EXPECT_EQ(c->origin_lock.mode, LockMode::kOff);
  EXPECT_FALSE(c->origin_lock.real_client_ip_enabled());
  EXPECT_EQ(c->origin_lock.secret_header, "x-origin-secret");
}

TEST(OriginLockSection, AllKeys) {
  auto c = load(
      "  mode: monitor\n"
      "  action: close\n"
      "  require_trusted_peer: true\n"
      "  cloudflare_ranges: false\n"
      "  ranges_file: /etc/portcullis/cf.txt\n"
      "  trusted_proxies: [\"127.0.0.1/32\", \"::1\"]\n"
      "  secret_header: X-CF-Auth\n"
      "  require_secret: true\n"
      "  authenticated_origin_pulls: false\n"
      "  allowed_hosts: [App.Example, \"*.example.net\"]\n"
      "  real_client_ip: false\n"
      "  true_client_ip: true\n"
      "  max_ranges_age_days: 30\n");
  ASSERT_TRUE(c.ok()) << c.error().reason;
  const OriginLockConfig& o = c->origin_lock;
  EXPECT_EQ(o.mode, LockMode::kMonitor);
  EXPECT_EQ(o.action, LockAction::kClose);
  EXPECT_FALSE(o.cloudflare_ranges);
  EXPECT_EQ(o.ranges_file, "/etc/portcullis/cf.txt");
  EXPECT_EQ(o.trusted_proxies, (std::vector<std::string>{"127.0.0.1/32", "::1"}));
  EXPECT_EQ(o.secret_header, "x-cf-auth");
  EXPECT_TRUE(o.require_secret);
  EXPECT_EQ(o.allowed_hosts, (std::vector<std::string>{"app.example", "*.example.net"}));
  EXPECT_FALSE(o.real_client_ip_enabled());
  EXPECT_TRUE(o.true_client_ip);
  EXPECT_EQ(o.max_ranges_age_days, 30u);
}

TEST(OriginLockSection, ModeSpellings) {
  for (auto [text, mode] : {std::pair{"true", LockMode::kEnforce},
                            {"enforce", LockMode::kEnforce},
                            {"false", LockMode::kOff},
                            {"off", LockMode::kOff},
                            {"monitor", LockMode::kMonitor}}) {
    auto c = load(std::string("  mode: ") + text + "\n");
    ASSERT_TRUE(c.ok()) << text;
    EXPECT_EQ(c->origin_lock.mode, mode) << text;
  }
  EXPECT_TRUE(load("  mode: enforce\n")->origin_lock.real_client_ip_enabled());
}

TEST(OriginLockSection, AuthenticatedOriginPullsNeedVerifyingTlsListeners) {
  // The test config's listener is plain HTTP: nobody could present a client certificate.
  auto c = load("  authenticated_origin_pulls: true\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().reason.find("need every listener to be TLS"), std::string::npos)
      << c.error().reason;
}

TEST(OriginLockSection, BadValuesAreErrors) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {"  mode: yes\n", "expected true|enforce, monitor or false|off"},
      {"  action: 404\n", "expected 403 or close"},
      {"  secret_header: \"X Secret\"\n", "is not a token"},
      {"  secret_header: Host\n", "cannot carry the origin secret"},
      {"  secret_header: X-Forwarded-For\n", "cannot carry the origin secret"},
      {"  allowed_hosts: [\"exa mple.com\"]\n", "must be a DNS name"},
      {"  allowed_hosts: [a.example, A.example]\n", "duplicate entry"},
      {"  max_ranges_age_days: 0\n", "must be between 1 and 3650"},
      {"  ranges_file: \"\"\n", "must not be empty"},
      {"  mode_: enforce\n", "did you mean 'mode'"},
      {"  require_trusted_peer: yes\n", "expected true or false"},
      {"  cloudflare_ranges: false\n", "neither cloudflare_ranges nor trusted_proxies"},
  };
  for (const Case& c : cases) {
    auto r = load(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.error().reason.find(c.message), std::string::npos)
        << c.body << " -> " << r.error().reason;
  }
}

}  // namespace
}  // namespace portcullis::config
