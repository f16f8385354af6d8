// CustomRuleCounters: custom-rule counters for /metrics that survive config reloads.
//
// A RuleSet counts, per rule, PCRE2 matches and match-limit hits (relaxed atomics bumped by the
// workers; nothing here touches the request path). Every reload builds a new RuleSet whose
// counters start at 0, and Prometheus counters must never go down (a drop reads as a process
// restart and corrupts rate()). So each stage attaches its set here when built and detaches it
// when destroyed (the last Runtime holding it is gone: no worker can bump it any more); on detach
// the set's final counts are folded into per-id totals. A scrape reports folded + every attached
// set, which stays monotonic through the overlap where the old and the new set are both in use.
//
// Bounded: rule ids come from config (at most 10000 per set); ids seen over all reloads are kept
// up to max_ids, later new ids are folded into one "(other)" series (not a valid rule id).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/custom/rule_set.h"

namespace portcullis::stages {

class CustomRuleCounters {
 public:
  static constexpr size_t kDefaultMaxIds = 20000;  // two full sets (RuleSet caps one at 10000)
  static constexpr std::string_view kOverflowId = "(other)";

  explicit CustomRuleCounters(size_t max_ids = kDefaultMaxIds) : max_ids_(max_ids) {}
  CustomRuleCounters(const CustomRuleCounters&) = delete;
  CustomRuleCounters& operator=(const CustomRuleCounters&) = delete;

  // Called by CustomRulesStage's constructor and destructor (not per request). A set attached
  // twice (two stages sharing it) is counted once and folded when its last stage detaches.
  void attach(const rules::custom::RuleSet& set);
  void detach(const rules::custom::RuleSet& set);

  // Prometheus text (appends nothing until a rule set was ever attached: stage not configured):
  //   portcullis_custom_rule_match_limit_total{rule="<id>"}  counter, per rule id ever loaded
  //   portcullis_custom_rule_matches_total{action="block|monitor|allow"}  counter
  void render(std::string& out) const;

 private:
  void fold(const rules::custom::RuleSet& set);  // mu_ held

  const size_t max_ids_;
  mutable std::mutex mu_;
  std::vector<std::pair<const rules::custom::RuleSet*, uint32_t>> attached_;  // set, stage count
  // Every id ever attached (the series stays after a rule is removed), with its folded hits.
  std::map<std::string, uint64_t, std::less<>> limit_hits_by_id_;
  uint64_t overflow_limit_hits_ = 0;
  bool overflowed_ = false;
  uint64_t matches_by_action_[3] = {};  // folded, indexed by RuleAction
  bool ever_attached_ = false;
};

// The process-wide instance the stage factory uses (like origin_lock::process_ranges_store():
// it must outlive every rule set a reload replaces).
CustomRuleCounters& process_custom_rule_counters();

// Appends `value` as a Prometheus text-format label value: backslash, double quote and line feed
// escaped (exposition format, "Comments, help text, and type information" / label values).
void append_prometheus_label_value(std::string& out, std::string_view value);

}  // namespace portcullis::stages
