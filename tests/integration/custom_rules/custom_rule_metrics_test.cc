// Custom-rule counters on the admin /metrics endpoint, through the real binary: a ReDoS-prone rule
// hitting the PCRE2 match limit is counted per rule, matches are counted by action, and both keep
// counting up across a SIGHUP reload (Prometheus counters must never go down, and the rule set is
// rebuilt on every reload).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

class CustomRuleMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("portcullis-rule-metrics-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    proxy_.reset();
    std::filesystem::remove_all(dir_);
  }
  void WriteRules(const std::string& text) { std::ofstream(dir_ / "rules.yaml") << text; }
  // match_limit 1000 (the config minimum is 100): '(a+)+$' on "aaaa...!" needs far more steps.
  std::string Config() const {
    return BaseConfig(origin_.port(), "custom_rules:\n  match_limit: 1000\n  files: [\"" +
                                          (dir_ / "rules.yaml").string() + "\"]\n");
  }
  int Status(const std::string& request) {
    auto r = Fetch(proxy_->port(), request);
    EXPECT_TRUE(r.has_value());
    return r ? r->status : 0;
  }
  // The value of the sample `series` (name and labels, exactly as rendered), or nullopt.
  std::optional<double> Sample(const std::string& series) {
    auto m = Fetch(proxy_->admin_port(), Get("/metrics"));
    if (!m) return std::nullopt;
    const std::string needle = "\n" + series + " ";
    const size_t at = m->body.find(needle);
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(m->body.c_str() + at + needle.size(), nullptr);
  }
  // Workers record after the response is sent: poll briefly for the expected value.
  std::optional<double> SampleWhenEqual(const std::string& series, double want) {
    std::optional<double> v;
    for (int i = 0; i < 100; ++i) {
      v = Sample(series);
      if (v == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return v;
  }

  std::filesystem::path dir_;
  TestOrigin origin_;
  std::unique_ptr<ProxyProcess> proxy_;
};

constexpr char kRules[] = R"(rules:
  - {id: redos, inputs: [query], transforms: [url_decode], pattern: '(a+)+$', action: block}
  - {id: no-debug, inputs: ["query:debug"], pattern: '.', action: block, priority: 200}
  - {id: watch-trace, inputs: ["query:trace"], pattern: '.', action: monitor, priority: 200}
)";

const std::string kRedosLimit = "portcullis_custom_rule_match_limit_total{rule=\"redos\"}";
const std::string kBlockMatches = "portcullis_custom_rule_matches_total{action=\"block\"}";

TEST_F(CustomRuleMetrics, MatchLimitHitsAreExportedAndSurviveReload) {
  WriteRules(kRules);
  proxy_ = ProxyProcess::Start(Config());
  ASSERT_NE(proxy_, nullptr);
  EXPECT_EQ(Sample(kRedosLimit), 0.0) << "every loaded rule has a series from the start";
  EXPECT_EQ(Sample("portcullis_custom_rule_match_limit_total{rule=\"no-debug\"}"), 0.0);

  // Catastrophic backtracking: the limit is hit, counted, and the request passes (no match).
  const std::string evil = Get("/?q=" + std::string(3000, 'a') + "%21");
  EXPECT_EQ(Status(evil), 200);
  EXPECT_EQ(Status(evil), 200);
  EXPECT_EQ(SampleWhenEqual(kRedosLimit, 2), 2.0);
  EXPECT_EQ(Sample("portcullis_custom_rule_match_limit_total{rule=\"no-debug\"}"), 0.0);

  EXPECT_EQ(Status(Get("/x?debug=1")), 403);
  EXPECT_EQ(Status(Get("/x?trace=1")), 200);
  EXPECT_EQ(SampleWhenEqual(kBlockMatches, 1), 1.0);
  EXPECT_EQ(Sample("portcullis_custom_rule_matches_total{action=\"monitor\"}"), 1.0);
  EXPECT_EQ(Sample("portcullis_custom_rule_matches_total{action=\"allow\"}"), 0.0);

  // Reload with one more rule: a new RuleSet (its own counters start at 0) replaces the old one.
  WriteRules(std::string(kRules) +
             "  - {id: reloaded, inputs: [\"query:reloaded\"], pattern: '.', action: block}\n");
  proxy_->RewriteConfig(Config());
  proxy_->Signal(SIGHUP);
  ASSERT_TRUE(proxy_->WaitForLog("configuration reloaded", 5000)) << proxy_->Log();
  int status = 0;  // workers pick up the new runtime asynchronously
  for (int i = 0; i < 100 && status != 403; ++i) {
    status = Status(Get("/?reloaded=1"));
    if (status != 403) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(status, 403) << proxy_->Log();
  EXPECT_EQ(Sample(kRedosLimit), 2.0) << "a counter must not go down on reload";
  EXPECT_EQ(SampleWhenEqual(kBlockMatches, 2), 2.0);
  EXPECT_EQ(Sample("portcullis_custom_rule_match_limit_total{rule=\"reloaded\"}"), 0.0);

  EXPECT_EQ(Status(evil), 200);
  EXPECT_EQ(SampleWhenEqual(kRedosLimit, 3), 3.0) << "hits after the reload add to the old ones";
}

}  // namespace
}  // namespace portcullis::testing
