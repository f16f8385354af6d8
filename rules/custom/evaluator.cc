#include "rules/custom/evaluator.h"

#include <algorithm>
#include <cstring>

namespace portcullis::rules::custom {

void RuleEvaluator::begin(const RuleSet& set, uint32_t max_input_bytes) {
  set_ = &set;
  max_input_bytes_ = max_input_bytes;
  end_ = static_cast<uint32_t>(set.size());
  have_terminal_ = false;
  recorded_.assign(set.size(), 0);
  num_hits_ = dropped_ = limit_hits_ = inputs_ = 0;
  sorted_ = true;
  const size_t chains = set.chains().size();
  if (chain_text_.size() < chains) chain_text_.resize(chains);
  chain_stamp_.assign(chains, 0);
  input_stamp_ = 0;
}

bool RuleEvaluator::on_input(const Input& in) {
  evaluate(in.location, in.raw, in.plus_as_space);
  return !(have_terminal_ && end_ == 1);
}

std::string_view RuleEvaluator::transformed(uint16_t chain, std::string_view raw,
                                            bool plus_as_space) {
  const std::vector<Transform>& c = set_->chains()[chain];
  if (c.empty()) return raw;
  if (chain_stamp_[chain] != input_stamp_) {
    chain_text_[chain].assign(scratch_.apply(c, raw, plus_as_space));
    chain_stamp_[chain] = input_stamp_;
  }
  return chain_text_[chain];
}

void RuleEvaluator::evaluate(std::string_view location, std::string_view raw, bool plus_as_space) {
  if (set_ == nullptr) return;
  ++inputs_;
  if (raw.size() > max_input_bytes_) raw = raw.substr(0, max_input_bytes_);
  if (++input_stamp_ == 0) {  // wrapped: forget every cached chain
    std::fill(chain_stamp_.begin(), chain_stamp_.end(), 0);
    input_stamp_ = 1;
  }
  const uint8_t kind = input_kind_of(location);
  for (uint32_t i = 0; i < end_; ++i) {
    if (recorded_[i] != 0) continue;
    const CompiledRule& r = set_->rule(i);
    if ((r.kinds & kind) == 0 || !r.reads(location)) continue;
    const std::string_view text = transformed(r.chain, raw, plus_as_space);
    size_t offset = 0;
    const MatchOutcome m = set_->match(i, text, &offset);
    if (m == MatchOutcome::kLimit) ++limit_hits_;
    if (m != MatchOutcome::kMatch) continue;
    recorded_[i] = 1;
    if (r.action == RuleAction::kMonitor) {
      record(i, location, text, offset, false);
      continue;
    }
    // A block / allow rule: it decides unless an earlier-ranked one matches a later input. Hits
    // ranked after it no longer matter.
    end_ = i + 1;
    have_terminal_ = true;
    uint32_t kept = 0;
    for (uint32_t h = 0; h < num_hits_; ++h) {
      if (hits_[h].rule < i) hits_[kept++] = hits_[h];
    }
    num_hits_ = kept;
    record(i, location, text, offset, true);
    break;
  }
}

void RuleEvaluator::record(uint32_t rule, std::string_view location, std::string_view text,
                           size_t offset, bool terminal) {
  RuleHit* slot = nullptr;
  if (num_hits_ < kMaxHits) {
    slot = &hits_[num_hits_++];
  } else {
    // Keep the lowest-ranked hits: replace the highest-ranked one if this one ranks before it.
    RuleHit* worst = &hits_[0];
    for (RuleHit& h : hits_) {
      if (h.rule > worst->rule) worst = &h;
    }
    ++dropped_;
    // The deciding rule is always kept: the verdict and the audit event must name it.
    if (worst->rule < rule && !terminal) return;
    slot = worst;
  }
  sorted_ = false;
  slot->rule = rule;
  slot->location_len = static_cast<uint8_t>(std::min(location.size(), RuleHit::kMaxLocation));
  std::memcpy(slot->location_buf, location.data(), slot->location_len);
  // A little context before the match: "...select * from" reads better than the match alone.
  const size_t start = offset > 16 && offset <= text.size() ? offset - 16 : 0;
  std::string_view ex = text.substr(start);
  slot->excerpt_len = static_cast<uint8_t>(std::min(ex.size(), RuleHit::kMaxExcerpt));
  std::memcpy(slot->excerpt_buf, ex.data(), slot->excerpt_len);
}

std::optional<uint32_t> RuleEvaluator::terminal() const {
  if (!have_terminal_) return std::nullopt;
  return end_ - 1;
}

std::span<const RuleHit> RuleEvaluator::hits() {
  if (!sorted_) {
    std::sort(hits_.begin(), hits_.begin() + num_hits_,
              [](const RuleHit& a, const RuleHit& b) { return a.rule < b.rule; });
    sorted_ = true;
  }
  return {hits_.data(), num_hits_};
}

}  // namespace portcullis::rules::custom
