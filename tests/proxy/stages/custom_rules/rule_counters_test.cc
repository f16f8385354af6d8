// CustomRuleCounters: the /metrics text for custom rules, label escaping, and counts that keep
// growing when a reload replaces the rule set (old and new stage alive together, then the old one
// destroyed).
#include "proxy/stages/custom_rules/rule_counters.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "proxy/http/request_parser.h"
#include "proxy/stages/custom_rules/custom_rules_stage.h"
#include "rules/custom/rule_file.h"

namespace portcullis::stages {
namespace {

using rules::custom::RuleSet;

// A ReDoS-prone rule on the query: '(a+)+$' against "aaaa...!" backtracks far past the limit.
const std::string kEvil = "/?q=" + std::string(200, 'a') + "!";

std::shared_ptr<const RuleSet> Build(const std::string& yaml) {
  auto specs = rules::custom::parse_rule_file(yaml, "t.yaml");
  EXPECT_TRUE(specs.ok()) << specs.error().reason;
  rules::custom::MatchLimits limits;
  limits.match_limit = 1000;
  auto set = RuleSet::build(std::move(specs).value(), limits);
  EXPECT_TRUE(set.ok()) << set.error().reason;
  return std::move(set).value();
}

constexpr const char* kV1 = R"(rules:
  - {id: slow, inputs: [query], pattern: '(a+)+$', action: block}
  - {id: dropped-later, inputs: [query], pattern: '(b+)+$', action: monitor}
  - {id: debug, inputs: ["query:debug"], pattern: '.', action: block, priority: 200}
)";
constexpr const char* kV2 = R"(rules:
  - {id: slow, inputs: [query], pattern: '(a+)+$', action: block}
  - {id: added, inputs: ["query:x"], pattern: '.', action: allow}
)";

std::unique_ptr<CustomRulesStage> Stage(std::shared_ptr<const RuleSet> set,
                                        CustomRuleCounters& counters) {
  config::CustomRulesConfig cfg;
  cfg.files = {"t.yaml"};
  return CustomRulesStage::create(cfg, std::move(set), counters);
}

// Runs one GET through the stage's head hook.
pipeline::Action Request(const CustomRulesStage& stage, const std::string& target) {
  const std::string raw = "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n";
  http::Header headers[16];
  http::RequestHead head;
  http::ParseError err;
  http::ParseLimits limits;
  EXPECT_EQ(http::parse_request(raw, limits, headers, 16, head, err), http::ParseStatus::kComplete);
  pipeline::RequestContext ctx;
  ctx.head = &head;
  return stage.on_request_head(ctx).action;
}

// The value of `series` (name{labels}) in the rendered text, or nullopt.
std::optional<uint64_t> Sample(const CustomRuleCounters& c, const std::string& series) {
  std::string out = "\n";
  c.render(out);
  const std::string needle = "\n" + series + " ";
  const size_t at = out.find(needle);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(out.c_str() + at + needle.size(), nullptr, 10);
}

std::string Limit(const std::string& id) {
  return "portcullis_custom_rule_match_limit_total{rule=\"" + id + "\"}";
}
std::string Matches(const std::string& action) {
  return "portcullis_custom_rule_matches_total{action=\"" + action + "\"}";
}

TEST(CustomRuleCounters, LabelValuesAreEscapedPerTheTextFormat) {
  std::string out;
  append_prometheus_label_value(out, "a\"b\\c\nd-e_f.g");
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd-e_f.g");
}

TEST(CustomRuleCounters, NothingRenderedWithoutCustomRules) {
  CustomRuleCounters c;
  std::string out;
  c.render(out);
  EXPECT_EQ(out, "");
}

TEST(CustomRuleCounters, RendersEveryRuleFromTheStartThenCountsHitsAndMatches) {
  CustomRuleCounters c;
  auto stage = Stage(Build(kV1), c);
  std::string out;
  c.render(out);
  EXPECT_EQ(
      out,
      "# HELP portcullis_custom_rule_match_limit_total Custom-rule pattern matches stopped by "
      "a PCRE2 limit (match, depth, heap or JIT stack; counted as no match), by rule id.\n"
      "# TYPE portcullis_custom_rule_match_limit_total counter\n"
      "portcullis_custom_rule_match_limit_total{rule=\"debug\"} 0\n"
      "portcullis_custom_rule_match_limit_total{rule=\"dropped-later\"} 0\n"
      "portcullis_custom_rule_match_limit_total{rule=\"slow\"} 0\n"
      "# HELP portcullis_custom_rule_matches_total Custom-rule pattern matches (each rule at "
      "most once per request, in monitor mode too), by the matching rule's action.\n"
      "# TYPE portcullis_custom_rule_matches_total counter\n"
      "portcullis_custom_rule_matches_total{action=\"block\"} 0\n"
      "portcullis_custom_rule_matches_total{action=\"monitor\"} 0\n"
      "portcullis_custom_rule_matches_total{action=\"allow\"} 0\n");

  EXPECT_EQ(Request(*stage, kEvil), pipeline::Action::kContinue);  // limit hit = no match
  EXPECT_EQ(Request(*stage, "/?q=" + std::string(200, 'b') + "!"), pipeline::Action::kContinue);
  EXPECT_EQ(Request(*stage, "/?debug=1"), pipeline::Action::kBlock);
  EXPECT_EQ(Request(*stage, "/?q=bb"), pipeline::Action::kContinue);  // monitor rule matches
  EXPECT_EQ(Sample(c, Limit("slow")), 1u);
  EXPECT_EQ(Sample(c, Limit("dropped-later")), 1u);
  EXPECT_EQ(Sample(c, Limit("debug")), 0u);
  EXPECT_EQ(Sample(c, Matches("block")), 1u);
  EXPECT_EQ(Sample(c, Matches("monitor")), 1u);
  EXPECT_EQ(Sample(c, Matches("allow")), 0u);
  EXPECT_EQ(stage->rules().limit_hits(), 2u);  // the set's own total agrees
}

TEST(CustomRuleCounters, CountsAccumulateAcrossReloadsAndNeverGoDown) {
  CustomRuleCounters c;
  auto old_stage = Stage(Build(kV1), c);
  for (int i = 0; i < 3; ++i) Request(*old_stage, kEvil);
  Request(*old_stage, "/?debug=1");
  EXPECT_EQ(Sample(c, Limit("slow")), 3u);

  // Reload: the new stage is built while the old one still serves in-flight requests.
  auto new_stage = Stage(Build(kV2), c);
  EXPECT_EQ(Sample(c, Limit("slow")), 3u);
  Request(*old_stage, kEvil);  // an in-flight request on the old snapshot
  Request(*new_stage, kEvil);
  EXPECT_EQ(Sample(c, Limit("slow")), 5u);
  EXPECT_EQ(Sample(c, Limit("added")), 0u);

  // The old runtime goes away: its final counts are folded in, nothing drops.
  old_stage.reset();
  EXPECT_EQ(Sample(c, Limit("slow")), 5u);
  EXPECT_EQ(Sample(c, Matches("block")), 1u);
  // A rule removed by the reload keeps its (now constant) series: it must not reset.
  EXPECT_EQ(Sample(c, Limit("dropped-later")), 0u);

  Request(*new_stage, kEvil);
  Request(*new_stage, "/?x=1");
  EXPECT_EQ(Sample(c, Limit("slow")), 6u);
  EXPECT_EQ(Sample(c, Matches("allow")), 1u);
  EXPECT_EQ(Sample(c, Matches("block")), 1u);
  new_stage.reset();
  EXPECT_EQ(Sample(c, Limit("slow")), 6u);
}

TEST(CustomRuleCounters, ASetSharedByTwoStagesIsCountedOnce) {
  CustomRuleCounters c;
  auto set = Build(kV1);
  auto a = Stage(set, c);
  auto b = Stage(set, c);
  Request(*a, kEvil);
  Request(*b, kEvil);
  EXPECT_EQ(Sample(c, Limit("slow")), 2u);
  a.reset();
  EXPECT_EQ(Sample(c, Limit("slow")), 2u);
  Request(*b, kEvil);
  b.reset();
  EXPECT_EQ(Sample(c, Limit("slow")), 3u);
}

TEST(CustomRuleCounters, IdsBeyondTheCapShareOneOtherSeries) {
  CustomRuleCounters c(/*max_ids=*/3);
  auto first = Stage(Build(kV1), c);  // 3 ids: the cap
  Request(*first, kEvil);
  first.reset();
  std::string out;
  c.render(out);
  EXPECT_EQ(out.find("(other)"), std::string::npos) << "no overflow yet";

  // A 4th id: no series of its own, its hits go to "(other)", live and after folding.
  auto second = Stage(Build(R"(rules:
  - {id: slow, inputs: [query], pattern: '(a+)+$', action: block}
  - {id: also-slow, inputs: [query], pattern: '(a+)+$', action: monitor, priority: 50}
)"),
                      c);
  EXPECT_EQ(Sample(c, Limit("(other)")), 0u);
  Request(*second, kEvil);
  EXPECT_EQ(Sample(c, Limit("also-slow")), std::nullopt);
  EXPECT_EQ(Sample(c, Limit("(other)")), 1u);
  EXPECT_EQ(Sample(c, Limit("slow")), 2u);
  second.reset();
  EXPECT_EQ(Sample(c, Limit("(other)")), 1u);
  EXPECT_EQ(Sample(c, Limit("slow")), 2u);
}

}  // namespace
}  // namespace portcullis::stages
