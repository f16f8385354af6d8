// Custom rules through the real proxy: the shipped rule set blocks with 403 and the request id,
// monitor rules pass and reach the audit stream, allow rules, body rules, a ReDoS rule cannot
// stall the worker, and a bad rule file refuses to start naming file, line and rule id.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

std::string Post(std::string_view target, std::string_view type, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: app\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class CustomRules : public ProxyTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("portcullis-custom-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    proxy_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  int Status(const std::string& request) {
    auto r = Fetch(port(), request);
    EXPECT_TRUE(r.has_value());
    return r ? r->status : 0;
  }
  std::string Shipped() const { return std::string(PORTCULLIS_SOURCE_DIR) + "/rules/custom-rules"; }
  std::filesystem::path dir_;
};

TEST_F(CustomRules, ShippedRulesBlockWithRequestIdAndMonitorPasses) {
  const std::string audit = (dir_ / "audit.json").string();
  StartProxy("custom_rules:\n  files: [\"" + Shipped() +
             "\"]\n"
             "audit:\n  spool_dir: \"" +
             (dir_ / "spool").string() + "\"\n  sinks:\n    - {name: local, type: file, path: \"" +
             audit + "\"}\n");
  // Requests only a custom rule refuses (the inspection stage passes them).
  const std::pair<std::string, std::string> blocked[] = {
      {Get("/actuator/env"), "diagnostic-endpoint"},
      {Get("/api/%61ctuator/heapdump"), "diagnostic-endpoint"},
      {Get("/", "X-Api-Version: ${jndi:ldap://x.example/a}\r\n"), "log4j-lookup-in-header"},
      {Get("/", "X-Forwarded-Proto: ${${lower:j}ndi:rmi://x/a}\r\n"), "log4j-lookup-in-header"},
  };
  for (const auto& [request, rule] : blocked) {
    auto r = Fetch(port(), request);
    ASSERT_TRUE(r.has_value()) << request;
    EXPECT_EQ(r->status, 403) << request;
    ASSERT_EQ(r->headers.count("x-request-id"), 1u) << request;
    EXPECT_NE(r->body.find(r->headers["x-request-id"]), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("(" + rule + ")"), std::string::npos) << r->body;
  }
  EXPECT_EQ(origin_->requests_served(), 0u) << "a blocked request reached the origin";
  // Monitor: passes to the origin, recorded in the audit stream with the rule id.
  EXPECT_EQ(Status(Get("/", "X-Api-Version: 1 UNION SELECT 2\r\n")), 200);
  EXPECT_EQ(origin_->requests_served(), 1u);
  // Benign.
  EXPECT_EQ(Status(Get("/actuator/health?q=env", "X-Trace: ${HOME}/bin\r\n")), 200);
  EXPECT_EQ(Status(Get("/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0")),
            200);
  std::string log;
  for (int i = 0; i < 50 && log.find("sql-union-select-in-header") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream f(audit);
    log.assign(std::istreambuf_iterator<char>(f), {});
  }
  EXPECT_NE(log.find("sql-union-select-in-header"), std::string::npos) << log;
  EXPECT_NE(log.find("\"action\":\"custom_rules.diagnostic-endpoint\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"action\":\"custom_rules.sql-union-select-in-header\""), std::string::npos)
      << log;
}

TEST_F(CustomRules, BodyRulesAllowAndPriority) {
  const std::string rules = Write("r.yaml", R"(rules:
  - {id: partner-token, inputs: ["header:x-partner"], pattern: '^p-[0-9a-f]{8}$', action: allow, priority: 1}
  - {id: no-root, inputs: ["body.json:role", "body.form:role"], pattern: '^root$', action: block, priority: 10}
  - {id: no-debug, inputs: ["query:debug"], pattern: '.', action: block, priority: 20}
)");
  StartProxy("custom_rules:\n  files: [\"" + rules + "\"]\n");
  EXPECT_EQ(Status(Post("/api", "application/json", R"({"name":"a","role":"root"})")), 403);
  EXPECT_EQ(Status(Post("/f", "application/x-www-form-urlencoded", "role=root")), 403);
  EXPECT_EQ(Status(Post("/api", "application/json", R"({"role":"user"})")), 200);
  EXPECT_EQ(Status(Get("/x?debug=1")), 403);
  // The allow rule outranks both block rules.
  EXPECT_EQ(Status(Get("/x?debug=1", "X-Partner: p-0badc0de\r\n")), 200);
  // With a body, the head-only block rule is decided together with the body.
  EXPECT_EQ(Status(Post("/api?debug=1", "application/json", R"({"role":"user"})")), 403);
}

TEST_F(CustomRules, MonitorModeLetsBlockRulesThrough) {
  StartProxy("custom_rules:\n  mode: monitor\n  files: [\"" + Shipped() + "\"]\n");
  EXPECT_EQ(Status(Get("/actuator/env")), 200);
  EXPECT_EQ(origin_->requests_served(), 1u);
}

TEST_F(CustomRules, RedosRuleDoesNotStallTheWorker) {
  const std::string rules = Write("redos.yaml", R"(rules:
  - {id: redos, inputs: [query], transforms: [url_decode], pattern: '(a+)+$', action: block}
)");
  StartProxy("custom_rules:\n  files: [\"" + rules + "\"]\n");
  const std::string evil = "/?q=" + std::string(7000, 'a') + "%21";
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Status(Get(evil)), 200);  // limit hit = no match
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(ms, 2000);
  EXPECT_EQ(Status(Get("/?q=aaa")), 403);  // the rule itself still works
}

TEST_F(CustomRules, BadRuleFileRefusesToStart) {
  const std::string rules = Write("bad.yaml", R"(rules:
  - {id: fine, inputs: [path], pattern: 'x', action: block}
  - {id: broken, inputs: [path], pattern: '[a-', action: block}
)");
  TestOrigin origin;
  const std::string cfg =
      BaseConfig(origin.port(), "custom_rules:\n  files: [\"" + rules + "\"]\n");
  const std::string cfg_path = Write("config.yaml", cfg);
  auto [code, out] = RunPortcullis({"run", "-c", cfg_path});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find(rules + ":3: rule 'broken': bad pattern"), std::string::npos) << out;
}

}  // namespace
}  // namespace portcullis::testing
