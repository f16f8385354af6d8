#include "proxy/stages/custom_rules/rule_counters.h"

#include <algorithm>
#include <atomic>

namespace portcullis::stages {
namespace {

using rules::custom::CompiledRule;
using rules::custom::RuleAction;
using rules::custom::RuleSet;

constexpr RuleAction kActions[] = {RuleAction::kBlock, RuleAction::kMonitor, RuleAction::kAllow};

size_t action_index(RuleAction a) { return static_cast<size_t>(a); }

}  // namespace

void append_prometheus_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void CustomRuleCounters::attach(const RuleSet& set) {
  std::lock_guard<std::mutex> lock(mu_);
  ever_attached_ = true;
  for (auto& [s, stages] : attached_) {
    if (s == &set) {
      ++stages;
      return;
    }
  }
  attached_.emplace_back(&set, 1);
  // Register the ids now so every loaded rule has a series (at 0) from the first scrape.
  for (size_t i = 0; i < set.size(); ++i) {
    const std::string& id = set.rule(i).id;
    if (limit_hits_by_id_.size() >= max_ids_ && !limit_hits_by_id_.contains(id)) {
      overflowed_ = true;
      continue;
    }
    limit_hits_by_id_.try_emplace(id, 0);
  }
}

void CustomRuleCounters::detach(const RuleSet& set) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(attached_.begin(), attached_.end(),
                         [&](const auto& a) { return a.first == &set; });
  if (it == attached_.end()) return;
  if (--it->second > 0) return;
  attached_.erase(it);
  fold(set);
}

void CustomRuleCounters::fold(const RuleSet& set) {
  for (size_t i = 0; i < set.size(); ++i) {
    const CompiledRule& r = set.rule(i);
    const uint64_t hits = r.limit_hits.load(std::memory_order_relaxed);
    auto id = limit_hits_by_id_.find(r.id);
    if (id != limit_hits_by_id_.end()) {
      id->second += hits;
    } else {
      overflow_limit_hits_ += hits;
    }
    matches_by_action_[action_index(r.action)] += r.matches.load(std::memory_order_relaxed);
  }
}

void CustomRuleCounters::render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ever_attached_) return;
  // Folded counts plus the live sets' counters. Both only grow, and a set moves from live to
  // folded under mu_, so each series is monotonic.
  std::map<std::string_view, uint64_t> hits;
  for (const auto& [id, n] : limit_hits_by_id_) hits.emplace(id, n);
  uint64_t overflow = overflow_limit_hits_;
  uint64_t matches[3];
  std::copy(std::begin(matches_by_action_), std::end(matches_by_action_), matches);
  for (const auto& [set, stages] : attached_) {
    for (size_t i = 0; i < set->size(); ++i) {
      const CompiledRule& r = set->rule(i);
      const uint64_t n = r.limit_hits.load(std::memory_order_relaxed);
      auto it = hits.find(r.id);
      if (it != hits.end()) {
        it->second += n;
      } else {
        overflow += n;
      }
      matches[action_index(r.action)] += r.matches.load(std::memory_order_relaxed);
    }
  }

  out +=
      "# HELP portcullis_custom_rule_match_limit_total Custom-rule pattern matches stopped by a "
      "PCRE2 limit (match, depth, heap or JIT stack; counted as no match), by rule id.\n";
  out += "# TYPE portcullis_custom_rule_match_limit_total counter\n";
  auto sample = [&out](std::string_view id, uint64_t n) {
    out += "portcullis_custom_rule_match_limit_total{rule=\"";
    append_prometheus_label_value(out, id);
    out += "\"} ";
    out += std::to_string(n);
    out += '\n';
  };
  for (const auto& [id, n] : hits) sample(id, n);
  if (overflowed_) sample(kOverflowId, overflow);

  out +=
      "# HELP portcullis_custom_rule_matches_total Custom-rule pattern matches (each rule at most "
      "once per request, in monitor mode too), by the matching rule's action.\n";
  out += "# TYPE portcullis_custom_rule_matches_total counter\n";
  for (RuleAction a : kActions) {
    out += "portcullis_custom_rule_matches_total{action=\"";
    out += rules::custom::action_name(a);
    out += "\"} ";
    out += std::to_string(matches[action_index(a)]);
    out += '\n';
  }
}

CustomRuleCounters& process_custom_rule_counters() {
  // Never destroyed: a stage may still detach while the process exits.
  static CustomRuleCounters* counters = new CustomRuleCounters();
  return *counters;
}

}  // namespace portcullis::stages
