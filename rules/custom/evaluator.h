// RuleEvaluator: runs a RuleSet over the inputs of one request, fed by the Extractor (it is an
// InputSink). Per worker thread, reused for every request: transformed copies and hit records
// live in buffers that stop allocating once warm.
//
// Priority is exact whatever order inputs arrive in: the first rule (in priority order) that is
// block or allow and matches ANY input decides ("terminal"); monitor rules are recorded only if
// they come before it. Inputs only try rules ranked before the current terminal, so a matched
// high-priority rule also makes the rest of the request cheaper. Each rule is recorded at most
// once per request (its first matching input). A rule's transform chain is applied once per input
// and shared by every rule with the same chain.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/custom/rule_set.h"
#include "rules/custom/transform.h"
#include "rules/inputs/input.h"

namespace portcullis::rules::custom {

struct RuleHit {
  static constexpr size_t kMaxLocation = 95;
  static constexpr size_t kMaxExcerpt = 127;
  uint32_t rule = 0;  // index into the RuleSet (evaluation order)
  char location_buf[kMaxLocation + 1] = {};
  uint8_t location_len = 0;
  // The transformed input from a little before the match start, truncated.
  char excerpt_buf[kMaxExcerpt + 1] = {};
  uint8_t excerpt_len = 0;
  std::string_view location() const { return {location_buf, location_len}; }
  std::string_view excerpt() const { return {excerpt_buf, excerpt_len}; }
};

class RuleEvaluator : public InputSink {
 public:
  static constexpr size_t kMaxHits = 8;

  // Starts a request. `max_input_bytes`: longer inputs have their prefix matched.
  void begin(const RuleSet& set, uint32_t max_input_bytes);
  // InputSink: evaluates one input. Returns false (stop extracting) once the top-priority rule is
  // terminal: nothing later can change the outcome.
  bool on_input(const Input& in) override;
  // Same, for callers without an Input (tests, fuzzers).
  void evaluate(std::string_view location, std::string_view raw, bool plus_as_space);

  // The deciding block / allow rule, if any matched.
  std::optional<uint32_t> terminal() const;
  // Recorded hits in rule order: monitor rules before the terminal one, then the terminal rule.
  // At most kMaxHits (the lowest-ranked ones); dropped() counts the others.
  std::span<const RuleHit> hits();
  uint32_t dropped() const { return dropped_; }
  uint32_t limit_hits() const { return limit_hits_; }  // this request
  uint32_t inputs() const { return inputs_; }

 private:
  std::string_view transformed(uint16_t chain, std::string_view raw, bool plus_as_space);
  void record(uint32_t rule, std::string_view location, std::string_view text, size_t offset,
              bool terminal);

  const RuleSet* set_ = nullptr;
  uint32_t max_input_bytes_ = 16 * 1024;
  uint32_t end_ = 0;  // rules [0, end_) still matter; end_ - 1 is the terminal rule when matched
  bool have_terminal_ = false;
  std::vector<uint8_t> recorded_;  // per rule: already recorded this request
  std::array<RuleHit, kMaxHits> hits_{};
  uint32_t num_hits_ = 0;
  uint32_t dropped_ = 0;
  uint32_t limit_hits_ = 0;
  uint32_t inputs_ = 0;
  bool sorted_ = true;
  // Per input: transformed text per chain, computed on first use (stamp == input_stamp_).
  uint32_t input_stamp_ = 0;
  std::vector<uint32_t> chain_stamp_;
  std::vector<std::string> chain_text_;
  TransformScratch scratch_;
};

}  // namespace portcullis::rules::custom
