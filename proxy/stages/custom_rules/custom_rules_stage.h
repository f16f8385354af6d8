// CustomRulesStage ("custom_rules"): the operator's own rules (rules/custom, format in
// rules/custom/rule.h), run after the inspection stage over the same extracted inputs.
//   on_request_head  query, path, cookies, headers the rules name; decides unless a body follows
//   wants_body       custom_rules.max_body_bytes when some rule reads the body and the request
//                    has a urlencoded / JSON / multipart body, else 0
//   on_body_chunk    head AND body inputs in one evaluation, so priority is exact across them
// Outcome: the first rule in priority order that is block or allow and matches decides. block ->
// Block(403, "<rule id>"); allow -> no later custom rule applies (the inspection stage has already
// run by then: an allow rule cannot bypass it, use inspection exclusions or routes for that).
// monitor rules ranked before the deciding one are recorded and never block. Every block/monitor
// hit is a Finding (detector generic, context "custom_rule", reason = rule id, fingerprint =
// action) with its location and an excerpt. Clients with ctx.bypass_inspection skip the stage.
// A match that hits a PCRE2 limit is counted (rules().limit_hits()) and is not a match. The
// stage attaches its rule set to a CustomRuleCounters for the life of the stage, so /metrics
// keeps counting across reloads (rule_counters.h).
#pragma once

#include <memory>
#include <string_view>

#include "proxy/config/config.h"
#include "proxy/pipeline/stage.h"
#include "proxy/stages/custom_rules/rule_counters.h"
#include "rules/base/result.h"
#include "rules/custom/rule_set.h"
#include "rules/inputs/extractor.h"

namespace portcullis::stages {

class CustomRulesStage : public pipeline::Stage {
 public:
  // Loads cfg.files and compiles them (errors name file:line and the rule id).
  static Result<std::unique_ptr<CustomRulesStage>> create(const config::CustomRulesConfig& cfg);
  // With an already compiled set (tests, benchmarks), counted in `counters`.
  static std::unique_ptr<CustomRulesStage> create(
      const config::CustomRulesConfig& cfg, std::shared_ptr<const rules::custom::RuleSet> set,
      CustomRuleCounters& counters = process_custom_rule_counters());
  ~CustomRulesStage() override;
  CustomRulesStage(const CustomRulesStage&) = delete;
  CustomRulesStage& operator=(const CustomRulesStage&) = delete;

  std::string_view name() const override { return "custom_rules"; }
  pipeline::Verdict on_request_head(pipeline::RequestContext& ctx) const override;
  uint64_t wants_body(const pipeline::RequestContext& ctx) const override;
  pipeline::Verdict on_body_chunk(pipeline::RequestContext& ctx, std::string_view chunk,
                                  bool last) const override;

  const rules::custom::RuleSet& rules() const { return *set_; }

 private:
  CustomRulesStage(const config::CustomRulesConfig& cfg,
                   std::shared_ptr<const rules::custom::RuleSet> set, CustomRuleCounters& counters);
  // True when a rule reads the body and this request has one the extractor understands: the
  // whole evaluation then waits for on_body_chunk.
  bool body_expected(const pipeline::RequestContext& ctx) const;
  pipeline::Verdict evaluate(pipeline::RequestContext& ctx, const std::string_view* body,
                             bool truncated) const;

  config::CustomRulesConfig cfg_;
  std::shared_ptr<const rules::custom::RuleSet> set_;
  CustomRuleCounters& counters_;
  rules::ExtractLimits limits_;
};

}  // namespace portcullis::stages
