// Compilation: bad patterns and duplicate ids fail the load naming file, line and rule id;
// priority order; what the set reads; and the ReDoS bounds.
#include "rules/custom/rule_set.h"

#include <gtest/gtest.h>

#include <chrono>

#include "rules/custom/rule_file.h"

namespace portcullis::rules::custom {
namespace {

RuleSpec Spec(std::string id, std::string pattern, int32_t priority = 100,
              std::vector<std::string> inputs = {"query:*"}) {
  RuleSpec s;
  s.id = std::move(id);
  s.pattern = std::move(pattern);
  s.priority = priority;
  s.inputs = std::move(inputs);
  s.file = "rules.yaml";
  s.line = 7;
  return s;
}

TEST(RuleSet, BadPatternNamesFileLineAndRule) {
  auto specs = parse_rule_file(
      "rules:\n  - {id: fine, inputs: [path], pattern: 'ok', action: block}\n"
      "  - id: broken\n    inputs: [path]\n    pattern: '(unclosed'\n    action: block\n",
      "my.yaml");
  ASSERT_TRUE(specs.ok()) << specs.error().reason;
  auto set = RuleSet::build(std::move(specs).value());
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().reason.find("my.yaml:3: rule 'broken': bad pattern at offset 9"),
            std::string::npos)
      << set.error().reason;
  EXPECT_NE(set.error().reason.find("missing closing parenthesis"), std::string::npos);
}

TEST(RuleSet, DuplicateIdIsRefused) {
  std::vector<RuleSpec> specs{Spec("same", "a"), Spec("same", "b")};
  specs[1].line = 20;
  auto set = RuleSet::build(std::move(specs));
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().reason.find("rules.yaml:20: rule 'same': duplicate id (first defined at "
                                    "rules.yaml:7)"),
            std::string::npos)
      << set.error().reason;
}

TEST(RuleSet, SortedByPriorityTiesKeepLoadOrder) {
  std::vector<RuleSpec> specs{Spec("c", "x", 50), Spec("a", "x", 10), Spec("d", "x", 50),
                              Spec("b", "x", -3)};
  auto set = RuleSet::build(std::move(specs));
  ASSERT_TRUE(set.ok()) << set.error().reason;
  ASSERT_EQ((*set)->size(), 4u);
  EXPECT_EQ((*set)->rule(0).id, "b");
  EXPECT_EQ((*set)->rule(1).id, "a");
  EXPECT_EQ((*set)->rule(2).id, "c");
  EXPECT_EQ((*set)->rule(3).id, "d");
}

TEST(RuleSet, ReportsWhatItReads) {
  std::vector<RuleSpec> specs{Spec("q", "x", 1, {"query:id"}),
                              Spec("h", "x", 1, {"header:x-api", "header:x-api", "cookie:sid"})};
  auto set = RuleSet::build(std::move(specs));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->kinds(), kKindQuery | kKindHeader | kKindCookie);
  EXPECT_FALSE((*set)->all_headers());
  EXPECT_EQ(std::vector<std::string>((*set)->headers().begin(), (*set)->headers().end()),
            std::vector<std::string>{"x-api"});
  auto all = RuleSet::build({Spec("any", "x", 1, {"*"})});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE((*all)->all_headers());
  EXPECT_EQ((*all)->kinds(), kKindQuery | kKindPath | kKindCookie | kKindHeader | kKindBody);
}

TEST(RuleSet, SharesTransformChains) {
  std::vector<RuleSpec> specs{Spec("a", "x"), Spec("b", "y"), Spec("c", "z")};
  specs[0].transforms = {Transform::kLowercase};
  specs[1].transforms = {Transform::kLowercase};
  auto set = RuleSet::build(std::move(specs));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->chains().size(), 2u);
  EXPECT_EQ((*set)->rule(0).chain, (*set)->rule(1).chain);
  EXPECT_NE((*set)->rule(0).chain, (*set)->rule(2).chain);
}

TEST(RuleSet, MatchesInByteModeEvenOnInvalidUtf8) {
  auto set = RuleSet::build({Spec("sel", "select")});
  ASSERT_TRUE(set.ok());
  size_t off = 99;
  EXPECT_EQ((*set)->match(0, "\xff\xfe select", &off), MatchOutcome::kMatch);
  EXPECT_EQ(off, 3u);
  EXPECT_EQ((*set)->match(0, "selec", &off), MatchOutcome::kNoMatch);
  EXPECT_EQ((*set)->rule(0).matches.load(), 1u);
}

TEST(RuleSet, PatternCannotSwitchToUtfMode) {
  auto set = RuleSet::build({Spec("utf", "(*UTF)x")});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().reason.find("rule 'utf': bad pattern"), std::string::npos);
}

// Catastrophic backtracking: (a+)+$ against 30,000 'a's and a final '!' needs 2^30000 steps
// without a limit. The match limit stops it fast; it is counted and is not a match.
TEST(RuleSet, RedosHitsTheLimitQuicklyAndIsCounted) {
  auto set = RuleSet::build({Spec("redos", "(a+)+$")});
  ASSERT_TRUE(set.ok());
  const std::string evil = std::string(30000, 'a') + "!";
  size_t off = 0;
  const auto t0 = std::chrono::steady_clock::now();
  MatchOutcome m = (*set)->match(0, evil, &off);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(m, MatchOutcome::kLimit);
  EXPECT_LT(ms, 500) << "the match limit did not bound the work";
  EXPECT_EQ((*set)->limit_hits(), 1u);
  EXPECT_EQ((*set)->rule(0).limit_hits.load(), 1u);
  // Without the trailing '!' the greedy first attempt matches at once: not a limit hit.
  EXPECT_EQ((*set)->match(0, std::string(30000, 'a'), &off), MatchOutcome::kMatch);
  EXPECT_EQ((*set)->limit_hits(), 1u);
}

TEST(RuleSet, DeepRecursionHitsTheJitStackOrDepthLimit) {
  // Each nested group costs JIT stack; a tiny JIT stack must fail safe (counted, no match).
  MatchLimits tight;
  tight.jit_stack_bytes = 4096;
  tight.depth_limit = 10;
  auto set = RuleSet::build({Spec("deep", "^(?:(a)|b)*$")}, tight);
  ASSERT_TRUE(set.ok());
  size_t off = 0;
  EXPECT_EQ((*set)->match(0, std::string(100000, 'a'), &off), MatchOutcome::kLimit);
  EXPECT_EQ((*set)->limit_hits(), 1u);
}

}  // namespace
}  // namespace portcullis::rules::custom
