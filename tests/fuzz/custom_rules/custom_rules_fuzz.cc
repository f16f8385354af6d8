// Fuzzes RuleEvaluator with a fixed rule set: the first byte picks a location (and '+' handling),
// the rest is the raw input. Checks the evaluator's invariants: the terminal rule is block/allow,
// hits are sorted, bounded, ranked no later than the terminal one, and excerpts/locations fit.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rules/custom/evaluator.h"
#include "rules/custom/rule_file.h"

namespace {

using namespace portcullis::rules::custom;

constexpr const char* kRules = R"(rules:
  - {id: all-transforms, inputs: ["*"], transforms: [url_decode, html_decode, json_unescape, remove_nulls, trim, compress_whitespace, remove_whitespace, normalize_path, lowercase], pattern: 'select.{0,20}from', action: monitor, priority: 1}
  - {id: redos, inputs: [query], pattern: '(a+)+$', action: block, priority: 2}
  - {id: nested, inputs: ["body.json:*.x*"], pattern: '^(?:(a)|b)*c', action: block, priority: 3}
  - {id: exact, inputs: ["query:id"], transforms: [url_decode], pattern: '^\d+\D', action: block, priority: 4}
  - {id: allow-ok, inputs: ["header:*"], pattern: '^ok$', action: allow, priority: 0}
  - {id: path, inputs: [path, "path:*"], transforms: [url_decode, normalize_path], pattern: '/\.\./', action: block, priority: 5}
)";

const RuleSet& rule_set() {
  static std::shared_ptr<const RuleSet> set = [] {
    auto specs = parse_rule_file(kRules, "fuzz.yaml");
    if (!specs.ok()) std::abort();
    std::vector<std::string> shipped{std::string(PORTCULLIS_SOURCE_DIR) + "/rules/custom-rules"};
    auto more = load_rule_paths(shipped);
    if (more.ok()) {
      for (auto& s : *more) specs->push_back(std::move(s));
    }
    auto s = RuleSet::build(std::move(specs).value());
    if (!s.ok()) std::abort();
    return *s;
  }();
  return *set;
}

constexpr const char* kLocations[] = {
    "query:id", "query:q",           "path",           "path:1",      "cookie:a",
    "header:x", "header:user-agent", "body.json:a.xy", "body.form:z", "body"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const RuleSet& set = rule_set();
  static RuleEvaluator ev;
  ev.begin(set, 4096);
  const uint8_t sel = data[0];
  std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);
  // Feed the input at one or two locations, to exercise priority across inputs.
  ev.evaluate(kLocations[sel % 10], raw, (sel & 0x80) != 0);
  if (sel & 0x40) ev.evaluate(kLocations[(sel / 10) % 10], raw.substr(raw.size() / 2), false);
  auto t = ev.terminal();
  if (t && set.rule(*t).action == RuleAction::kMonitor) std::abort();
  auto hits = ev.hits();
  if (hits.size() > RuleEvaluator::kMaxHits) std::abort();
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i > 0 && hits[i - 1].rule >= hits[i].rule) std::abort();
    if (t && hits[i].rule > *t) std::abort();
    if (hits[i].location().size() > RuleHit::kMaxLocation) std::abort();
    if (hits[i].excerpt().size() > RuleHit::kMaxExcerpt) std::abort();
  }
  if (t && (hits.empty() || hits.back().rule != *t)) std::abort();
  return 0;
}
