#include "proxy/stages/access_lists/access_lists_stage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "tests/proxy/stages/rate_limit/test_util.h"

namespace portcullis::access_lists {
namespace {

using rate_limit::testutil::TestRequest;

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/portcullis-al-XXXXXX";
    int fd = mkstemp(tmpl);
    path_ = tmpl;
    ::write(fd, text.data(), text.size());
    ::close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<AccessListsStage> Build(const std::string& yaml) {
  auto c = config::load_config_string(yaml, "t.yaml", config::no_env());
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().reason);
  if (!c.ok()) return nullptr;
  auto st = build_access_lists(c->access_lists, c->rate_limit.user);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().reason);
  return st.ok() ? std::move(st).value() : nullptr;
}

TEST(AccessLists, NothingConfigured) {
  auto st = build_access_lists(config::AccessListsConfig{}, config::UserKeyConfig{});
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st.value(), nullptr);
}

TEST(AccessLists, BlockAndAllowByCidrV4AndV6) {
  TempFile tor("# tor exits\n198.51.100.0/24\n2001:db8:bad::/48  # v6\n\n");
  auto stage = Build("access_lists:\n  block: [203.0.113.9]\n  block_files: [" + tor.path() +
                     "]\n  allow: [198.51.100.7, '2001:db8:bad::1']\n  bypass_inspection: true\n");
  ASSERT_NE(stage, nullptr);
  struct Case {
    const char* ip;
    bool blocked;
  } cases[] = {{"203.0.113.9", true},       {"203.0.113.10", false},
               {"198.51.100.1", true},      {"198.51.100.7", false},
               {"2001:db8:bad:1::5", true}, {"2001:db8:bad::1", false},
               {"2001:db8:beef::1", false}, {"::ffff:198.51.100.2", true}};
  for (const Case& c : cases) {
    TestRequest r;
    r.client_ip = c.ip;
    pipeline::RequestContext& ctx = r.Build();
    pipeline::Verdict v = stage->on_request_head(ctx);
    EXPECT_EQ(!v.is_continue(), c.blocked) << c.ip;
    if (c.blocked) {
      EXPECT_EQ(v.status, 403);
      EXPECT_EQ(v.reason, kReasonIpBlocked);
    }
  }
  // The allow list wins and sets the bypass flags.
  TestRequest allowed;
  allowed.client_ip = "198.51.100.7";
  pipeline::RequestContext& ctx = allowed.Build();
  EXPECT_TRUE(stage->on_request_head(ctx).is_continue());
  EXPECT_TRUE(ctx.bypass_rate_limit);
  EXPECT_TRUE(ctx.bypass_inspection);
}

TEST(AccessLists, UserAgentPatterns) {
  TempFile bots("# bad bots\nsqlmap\n^masscan/\n");
  auto stage = Build(
      "access_lists:\n  user_agent_block: ['nikto', 'python-requests/[01]\\.']\n"
      "  user_agent_block_files: [" +
      bots.path() + "]\n  status: 404\n");
  ASSERT_NE(stage, nullptr);
  struct Case {
    const char* ua;
    bool blocked;
  } cases[] = {{"sqlmap/1.7#stable (https://sqlmap.org)", true},
               {"Mozilla/5.0 (Nikto/2.5.0)", true},
               {"masscan/1.3", true},
               {"Mozilla masscan/1.3", false},
               {"python-requests/0.9", true},
               {"python-requests/2.31", false},
               {"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", false},
               {"SQLMAP\xff\xfe", true}};  // invalid UTF-8 must not bypass
  for (const Case& c : cases) {
    TestRequest r;
    r.headers = {{"User-Agent", c.ua}};
    pipeline::Verdict v = stage->on_request_head(r.Build());
    EXPECT_EQ(!v.is_continue(), c.blocked) << c.ua;
    if (c.blocked) EXPECT_EQ(v.status, 404);
  }
}

TEST(AccessLists, BadPatternOrFileFailsTheBuild) {
  auto c = config::load_config_string("access_lists: {user_agent_block: ['(unclosed']}", "t.yaml",
                                      config::no_env());
  ASSERT_TRUE(c.ok());
  auto st = build_access_lists(c->access_lists, c->rate_limit.user);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().reason.find("(unclosed"), std::string::npos);
  auto missing = config::load_config_string("access_lists: {block_files: [/nonexistent/x]}",
                                            "t.yaml", config::no_env());
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(build_access_lists(missing->access_lists, missing->rate_limit.user).ok());
  TempFile bad("10.0.0.0/8\n10.0.0.1/8\n");  // host bits: error names file and line
  auto badcfg = config::load_config_string("access_lists: {block_files: [" + bad.path() + "]}",
                                           "t.yaml", config::no_env());
  auto st2 = build_access_lists(badcfg->access_lists, badcfg->rate_limit.user);
  ASSERT_FALSE(st2.ok());
  EXPECT_NE(st2.error().reason.find(":2:"), std::string::npos) << st2.error().reason;
}

TEST(AccessLists, BlockedUsersFromHeaderOrJwt) {
  TempFile users("u-1\n# comment\nu-2\n");
  auto stage = Build(
      "rate_limit: {user: {header: x-user}}\naccess_lists:\n  blocked_users: [mallory]\n"
      "  blocked_users_files: [" +
      users.path() + "]\n");
  ASSERT_NE(stage, nullptr);
  for (const char* u : {"mallory", "u-1", "u-2"}) {
    TestRequest r;
    r.headers = {{"X-User", u}};
    pipeline::Verdict v = stage->on_request_head(r.Build());
    EXPECT_EQ(v.reason, kReasonUser) << u;
  }
  TestRequest ok;
  ok.headers = {{"X-User", "alice"}};
  EXPECT_TRUE(stage->on_request_head(ok.Build()).is_continue());
  // {"sub":"mallory"} as an unsigned JWT payload
  TestRequest jwt;
  jwt.headers = {{"Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0."}};
  EXPECT_EQ(stage->on_request_head(jwt.Build()).reason, kReasonUser);
}

TEST(AccessLists, HundredThousandEntriesStayFlat) {
  std::string text;
  for (uint32_t i = 0; i < 100000; ++i) {
    uint32_t a = 0x0A000000u + i * 4;  // 10.x.y.z, non-adjacent hosts
    text += std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
            std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255) + "\n";
  }
  TempFile big(text);
  auto t0 = std::chrono::steady_clock::now();
  auto stage = Build("access_lists: {block_files: [" + big.path() + "]}");
  auto load_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_NE(stage, nullptr);
  EXPECT_EQ(stage->settings().block.v4_range_count(), 100000u);
  EXPECT_LE(stage->settings().block.memory_bytes(), 100000u * 8 + 4096);
  EXPECT_LT(load_ms, 5000);
  TestRequest hit, miss;
  hit.client_ip = "10.0.0.4";
  miss.client_ip = "10.0.0.5";
  EXPECT_FALSE(stage->on_request_head(hit.Build()).is_continue());
  EXPECT_TRUE(stage->on_request_head(miss.Build()).is_continue());
  UserIdSet users = UserIdSet::build({"a", "b", "a"});
  EXPECT_EQ(users.size(), 2u);
  EXPECT_TRUE(users.contains("b"));
  EXPECT_FALSE(users.contains("c"));
}

}  // namespace
}  // namespace portcullis::access_lists
