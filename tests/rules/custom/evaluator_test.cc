// Evaluation over a request's inputs: location globs, transforms per rule, allow / monitor /
// block, priority across inputs whatever their order, bounds.
#include "rules/custom/evaluator.h"

#include <gtest/gtest.h>

#include "rules/custom/rule_file.h"

namespace portcullis::rules::custom {
namespace {

std::shared_ptr<const RuleSet> Load(const std::string& yaml) {
  auto specs = parse_rule_file(yaml, "t.yaml");
  EXPECT_TRUE(specs.ok()) << specs.error().reason;
  auto set = RuleSet::build(std::move(specs).value());
  EXPECT_TRUE(set.ok()) << set.error().reason;
  return set.ok() ? *set : nullptr;
}

struct In {
  std::string location;
  std::string raw;
  bool plus = false;
};

// Returns "terminal-id" or "-" and fills `ids` with every recorded hit.
std::string Eval(const RuleSet& set, const std::vector<In>& inputs, std::vector<std::string>* ids,
                 RuleEvaluator& ev) {
  ev.begin(set, 16 * 1024);
  for (const In& in : inputs) ev.evaluate(in.location, in.raw, in.plus);
  ids->clear();
  for (const RuleHit& h : ev.hits()) ids->push_back(set.rule(h.rule).id);
  auto t = ev.terminal();
  return t ? set.rule(*t).id : "-";
}

TEST(Evaluator, LocationGlobsSelectInputs) {
  auto set = Load(R"(rules:
  - {id: q-any, inputs: [query], pattern: evil, action: monitor}
  - {id: q-id, inputs: ["query:id"], pattern: evil, action: monitor}
  - {id: ua, inputs: ["header:User-Agent"], pattern: evil, action: monitor}
  - {id: hdr, inputs: [headers], pattern: evil, action: monitor}
  - {id: ck, inputs: ["cookie:s*"], pattern: evil, action: monitor}
  - {id: seg, inputs: ["path:*"], pattern: evil, action: monitor}
  - {id: whole-path, inputs: [path], pattern: evil, action: monitor}
  - {id: json-user, inputs: ["body.json:user.*"], pattern: evil, action: monitor}
  - {id: body, inputs: [body], pattern: evil, action: monitor}
  - {id: all, inputs: ["*"], pattern: evil, action: monitor}
)");
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  std::vector<std::string> ids;
  struct Case {
    std::string location;
    std::vector<std::string> want;
  } cases[] = {
      {"query:id", {"q-any", "q-id", "all"}},
      {"query:name", {"q-any", "all"}},
      {"header:user-agent", {"ua", "hdr", "all"}},
      {"header:x-forwarded-for", {"hdr", "all"}},
      {"cookie:sid", {"ck", "all"}},
      {"cookie:theme", {"all"}},
      {"path:0", {"seg", "all"}},
      {"path", {"whole-path", "all"}},
      {"body.json:user.name", {"json-user", "body", "all"}},
      {"body.json:items[0]", {"body", "all"}},
      {"body.form:a", {"body", "all"}},
      {"body", {"body", "all"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Eval(*set, {{c.location, "so evil"}}, &ids, ev), "-");
    EXPECT_EQ(ids, c.want) << c.location;
  }
}

TEST(Evaluator, BlockAllowMonitor) {
  auto set = Load(R"(rules:
  - {id: watch, inputs: [query], pattern: admin, action: monitor, priority: 1}
  - {id: trusted, inputs: ["query:token"], pattern: '^t0k3n$', action: allow, priority: 2}
  - {id: deny, inputs: [query], pattern: admin, action: block, priority: 3}
)");
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  std::vector<std::string> ids;
  // Monitor records and goes on; the block rule decides.
  EXPECT_EQ(Eval(*set, {{"query:user", "admin"}}, &ids, ev), "deny");
  EXPECT_EQ(ids, (std::vector<std::string>{"watch", "deny"}));
  // Allow short-circuits the block rule ranked after it, even though it matched first.
  EXPECT_EQ(Eval(*set, {{"query:user", "admin"}, {"query:token", "t0k3n"}}, &ids, ev), "trusted");
  EXPECT_EQ(ids, (std::vector<std::string>{"watch", "trusted"}));
  // Nothing matches: no terminal, no hits.
  EXPECT_EQ(Eval(*set, {{"query:user", "bob"}}, &ids, ev), "-");
  EXPECT_TRUE(ids.empty());
}

TEST(Evaluator, PriorityDecidesNotInputOrder) {
  auto set = Load(R"(rules:
  - {id: late, inputs: [query], pattern: b, action: block, priority: 20}
  - {id: early, inputs: [query], pattern: a, action: block, priority: 10}
  - {id: note, inputs: [query], pattern: c, action: monitor, priority: 15}
  - {id: after, inputs: [query], pattern: d, action: monitor, priority: 30}
)");
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  std::vector<std::string> ids;
  const std::vector<In> forward{
      {"query:x", "d"}, {"query:x", "b"}, {"query:y", "c"}, {"query:z", "a"}};
  const std::vector<In> backward(forward.rbegin(), forward.rend());
  EXPECT_EQ(Eval(*set, forward, &ids, ev), "early");
  EXPECT_EQ(ids, std::vector<std::string>{"early"});  // note ranks after early: dropped
  EXPECT_EQ(Eval(*set, backward, &ids, ev), "early");
  EXPECT_EQ(ids, std::vector<std::string>{"early"});
  EXPECT_EQ(Eval(*set, {{"query:x", "d"}, {"query:x", "c"}, {"query:x", "b"}}, &ids, ev), "late");
  EXPECT_EQ(ids, (std::vector<std::string>{"note", "late"}));
}

TEST(Evaluator, TransformsApplyPerRule) {
  auto set = Load(R"(rules:
  - {id: raw, inputs: [query], pattern: 'UNION SELECT', action: monitor}
  - id: normalized
    inputs: [query]
    transforms: [url_decode, html_decode, lowercase, compress_whitespace]
    pattern: 'union select'
    action: monitor
)");
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  std::vector<std::string> ids;
  Eval(*set, {{"query:q", "UNION+%20&#x20;SELECT", true}}, &ids, ev);
  EXPECT_EQ(ids, std::vector<std::string>{"normalized"});
  Eval(*set, {{"query:q", "UNION SELECT"}}, &ids, ev);
  EXPECT_EQ(ids, (std::vector<std::string>{"raw", "normalized"}));
}

TEST(Evaluator, HitKeepsLocationAndExcerptAroundTheMatch) {
  auto set = Load("rules:\n  - {id: r, inputs: [query], pattern: needle, action: block}\n");
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  ev.begin(*set, 1024);
  ev.evaluate("query:q", std::string(100, 'x') + "needle and more", false);
  ASSERT_EQ(ev.hits().size(), 1u);
  EXPECT_EQ(ev.hits()[0].location(), "query:q");
  EXPECT_EQ(ev.hits()[0].excerpt(), std::string(16, 'x') + "needle and more");
}

TEST(Evaluator, OnlyThePrefixOfLongInputsIsMatched) {
  auto set = Load("rules:\n  - {id: r, inputs: [query], pattern: needle, action: block}\n");
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  ev.begin(*set, 64);
  ev.evaluate("query:q", std::string(64, 'x') + "needle", false);
  EXPECT_FALSE(ev.terminal().has_value());
  ev.begin(*set, 70);
  ev.evaluate("query:q", std::string(64, 'x') + "needle", false);
  EXPECT_TRUE(ev.terminal().has_value());
}

TEST(Evaluator, LimitHitIsNoMatchAndCounted) {
  auto set = Load(R"(rules:
  - {id: slow, inputs: [query], pattern: '(a+)+$', action: block, priority: 1}
  - {id: next, inputs: [query], pattern: 'a!', action: monitor, priority: 2}
)");
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  std::vector<std::string> ids;
  EXPECT_EQ(Eval(*set, {{"query:q", std::string(10000, 'a') + "!"}}, &ids, ev), "-");
  EXPECT_EQ(ids, std::vector<std::string>{"next"});
  EXPECT_EQ(ev.limit_hits(), 1u);
}

TEST(Evaluator, BoundedHitsKeepTheDecidingRule) {
  std::string yaml = "rules:\n";
  for (int i = 0; i < 12; ++i) {
    yaml += "  - {id: m" + std::to_string(i) +
            ", inputs: [query], pattern: x, action: monitor, "
            "priority: " +
            std::to_string(i) + "}\n";
  }
  yaml += "  - {id: stop, inputs: [query], pattern: x, action: block, priority: 100}\n";
  auto set = Load(yaml);
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  std::vector<std::string> ids;
  EXPECT_EQ(Eval(*set, {{"query:q", "x"}}, &ids, ev), "stop");
  ASSERT_EQ(ids.size(), RuleEvaluator::kMaxHits);
  EXPECT_EQ(ids.front(), "m0");
  EXPECT_EQ(ids.back(), "stop");
  EXPECT_EQ(ev.dropped(), 5u);
}

TEST(Evaluator, StopsExtractionOnceTheTopRuleDecides) {
  auto set = Load("rules:\n  - {id: r, inputs: [query], pattern: x, action: block}\n");
  ASSERT_NE(set, nullptr);
  RuleEvaluator ev;
  ev.begin(*set, 1024);
  Input in;
  in.location = "query:a";
  in.raw = "y";
  EXPECT_TRUE(ev.on_input(in));
  in.raw = "x";
  EXPECT_FALSE(ev.on_input(in));
}

}  // namespace
}  // namespace portcullis::rules::custom
