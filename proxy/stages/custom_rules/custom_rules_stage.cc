#include "proxy/stages/custom_rules/custom_rules_stage.h"

#include <algorithm>

#include "proxy/stages/inspection/head_inputs.h"
#include "rules/custom/evaluator.h"
#include "rules/custom/rule_file.h"

namespace portcullis::stages {
namespace {

using pipeline::RequestContext;
using pipeline::Verdict;
using rules::custom::RuleAction;

// Per worker thread, reused for every request: extraction scratch, transformed copies, hits.
struct Scratch {
  rules::Extractor extractor;
  rules::custom::RuleEvaluator evaluator;
  std::string header_name;  // lowercase name of the header being walked (header:* rules)
};
Scratch& scratch() {
  static thread_local Scratch s;
  return s;
}

bool stopped(const rules::ExtractResult& r) { return r.has(rules::kExtractStopped); }

}  // namespace

CustomRulesStage::CustomRulesStage(const config::CustomRulesConfig& cfg,
                                   std::shared_ptr<const rules::custom::RuleSet> set,
                                   CustomRuleCounters& counters)
    : cfg_(cfg), set_(std::move(set)), counters_(counters) {
  limits_.max_inputs = cfg.max_inputs;
  counters_.attach(*set_);
}

// The stage goes with the last Runtime that held it: no worker can bump set_'s counters after
// this, so their final values are folded into the reload-proof totals.
CustomRulesStage::~CustomRulesStage() { counters_.detach(*set_); }

Result<std::unique_ptr<CustomRulesStage>> CustomRulesStage::create(
    const config::CustomRulesConfig& cfg) {
  auto specs = rules::custom::load_rule_paths(cfg.files);
  if (!specs.ok()) return make_error("custom_rules: " + specs.error().reason);
  rules::custom::MatchLimits limits;
  limits.match_limit = cfg.match_limit;
  limits.depth_limit = cfg.depth_limit;
  limits.heap_limit_kib = cfg.heap_limit_kib;
  limits.jit_stack_bytes = cfg.jit_stack_bytes;
  auto set = rules::custom::RuleSet::build(std::move(specs).value(), limits);
  if (!set.ok()) return make_error("custom_rules: " + set.error().reason);
  return create(cfg, std::move(set).value());
}

std::unique_ptr<CustomRulesStage> CustomRulesStage::create(
    const config::CustomRulesConfig& cfg, std::shared_ptr<const rules::custom::RuleSet> set,
    CustomRuleCounters& counters) {
  return std::unique_ptr<CustomRulesStage>(new CustomRulesStage(cfg, std::move(set), counters));
}

bool CustomRulesStage::body_expected(const RequestContext& ctx) const {
  if (ctx.head == nullptr || cfg_.max_body_bytes == 0) return false;
  if ((set_->kinds() & rules::custom::kKindBody) == 0) return false;
  if (ctx.head->framing == http::BodyFraming::kNone) return false;
  if (ctx.head->framing == http::BodyFraming::kContentLength && ctx.head->content_length == 0) {
    return false;
  }
  return rules::classify_body(find_header(*ctx.head, "content-type")).kind !=
         rules::BodyKind::kNone;
}

Verdict CustomRulesStage::evaluate(RequestContext& ctx, const std::string_view* body,
                                   bool truncated) const {
  Scratch& s = scratch();
  rules::custom::RuleEvaluator& ev = s.evaluator;
  ev.begin(*set_, cfg_.max_input_bytes);
  s.extractor.reset(limits_);
  const uint8_t kinds = set_->kinds();
  const http::RequestHead& head = *ctx.head;
  bool done = false;
  if ((kinds & (rules::custom::kKindQuery | rules::custom::kKindPath | rules::custom::kKindCookie |
                rules::custom::kKindHeader)) != 0) {
    HeadSelection sel;
    sel.path = (kinds & rules::custom::kKindPath) != 0;
    sel.cookies = (kinds & rules::custom::kKindCookie) != 0;
    // header:* rules walk every header below instead of a list of names.
    if (!set_->all_headers()) sel.headers = set_->headers();
    done = stopped(extract_head(head, sel, s.extractor, ev));
  }
  if (!done && set_->all_headers()) {
    for (uint32_t i = 0; i < head.num_headers && !done; ++i) {
      std::string_view name = head.headers[i].name;
      s.header_name.assign(name.substr(0, 64));
      for (char& c : s.header_name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      }
      done = stopped(s.extractor.header(s.header_name, head.headers[i].value, ev));
    }
  }
  if (!done && body != nullptr) {
    rules::BodyType type = rules::classify_body(find_header(head, "content-type"));
    std::string_view b = body->substr(0, std::min<uint64_t>(body->size(), cfg_.max_body_bytes));
    s.extractor.body(type, b, truncated || b.size() < body->size(), ev);
  }

  const bool enforce = cfg_.mode == config::StageMode::kEnforce;
  for (const rules::custom::RuleHit& h : ev.hits()) {
    const rules::custom::CompiledRule& rule = set_->rule(h.rule);
    if (rule.action == RuleAction::kAllow) continue;  // a decision, not a finding
    if (pipeline::Detection* d = ctx.add_detection()) {
      d->finding.detector = rules::Detector::kGeneric;
      d->finding.context = "custom_rule";
      d->finding.reason = rule.id;  // owned by the immutable rule set
      d->finding.set_fingerprint(rules::custom::action_name(rule.action));
      d->stage = "custom_rules";
      d->blocked = rule.action == RuleAction::kBlock && enforce;
      d->set_location(h.location());
      d->set_excerpt(h.excerpt());
    }
  }
  if (auto t = ev.terminal(); t && set_->rule(*t).action == RuleAction::kBlock) {
    return Verdict::Block(403, set_->rule(*t).id);
  }
  return Verdict::Continue();
}

Verdict CustomRulesStage::on_request_head(RequestContext& ctx) const {
  if (ctx.head == nullptr || ctx.bypass_inspection || set_->empty()) return Verdict::Continue();
  // With a body coming, evaluate head and body together once it is held (exact priority).
  if (body_expected(ctx)) return Verdict::Continue();
  return evaluate(ctx, nullptr, false);
}

uint64_t CustomRulesStage::wants_body(const RequestContext& ctx) const {
  if (ctx.bypass_inspection || !body_expected(ctx)) return 0;
  uint64_t want = cfg_.max_body_bytes;
  if (ctx.head->framing == http::BodyFraming::kContentLength) {
    want = std::min<uint64_t>(want, ctx.head->content_length);
  }
  return want;
}

Verdict CustomRulesStage::on_body_chunk(RequestContext& ctx, std::string_view chunk,
                                        bool last) const {
  if (ctx.head == nullptr || ctx.bypass_inspection || !body_expected(ctx)) {
    return Verdict::Continue();
  }
  return evaluate(ctx, &chunk, !last);
}

}  // namespace portcullis::stages
