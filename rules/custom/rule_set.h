// RuleSet: custom rules compiled once at load into an immutable, priority-ordered set (Coraza:
// compile and validate in one step; a bad pattern fails the load naming file, line and rule id).
// Shared read-only by every worker; the only mutable state is counters (atomics).
//
// ReDoS: each pattern is JIT-compiled (PCRE2) and matched under a match limit (backtracking steps),
// a depth limit (interpreter recursion), a heap limit and a bounded per-thread JIT stack, so a
// pathological rule or input costs a bounded amount of CPU. A match that hits a limit is counted
// (limit_hits(), per rule and total) and treated as NO MATCH: failing closed would let any client
// turn a slow rule into a denial of service for everyone, and the built-in detectors still run.
// Patterns run in byte mode (PCRE2_NEVER_UTF): in UTF mode one invalid byte would make every match
// fail, an easy bypass.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/base/result.h"
#include "rules/custom/rule.h"

struct pcre2_real_code_8;
struct pcre2_real_match_context_8;

namespace portcullis::rules::custom {

struct MatchLimits {
  uint32_t match_limit = 100000;          // pcre2_set_match_limit: backtracking steps per match
  uint32_t depth_limit = 1000;            // pcre2_set_depth_limit (interpreter only)
  uint32_t heap_limit_kib = 1024;         // pcre2_set_heap_limit (interpreter only)
  uint32_t jit_stack_bytes = 256 * 1024;  // per worker thread, shared by all rules
};

enum class MatchOutcome : uint8_t { kNoMatch, kMatch, kLimit };

// Kinds of location a rule reads, for cheap pre-filtering and for extraction (the stage extracts
// only what some rule reads).
enum InputKind : uint8_t {
  kKindQuery = 1u << 0,
  kKindPath = 1u << 1,
  kKindCookie = 1u << 2,
  kKindHeader = 1u << 3,
  kKindBody = 1u << 4,
};
uint8_t input_kind_of(std::string_view location);  // from the location's prefix; 0 if unknown

struct CompiledRule {
  std::string id;  // stable for the set's lifetime: verdict reasons and findings point at it
  std::string description;
  RuleAction action = RuleAction::kBlock;
  int32_t priority = 0;
  std::string file;
  uint32_t line = 0;
  std::vector<std::string> inputs;  // location globs
  // The globs pre-classified: most are "query:*" (a prefix) or "query:id" (exact), which need no
  // glob matcher on the per-input path.
  struct Selector {
    enum class Kind : uint8_t { kExact, kPrefix, kGlob } kind;
    std::string text;  // the whole glob, or the prefix before the trailing '*'
  };
  std::vector<Selector> selectors;
  uint8_t kinds = 0;   // InputKind bits the globs can match
  uint16_t chain = 0;  // index into RuleSet::chains()
  ::pcre2_real_code_8* code = nullptr;
  mutable std::atomic<uint64_t> matches{0};
  mutable std::atomic<uint64_t> limit_hits{0};

  bool reads(std::string_view location) const;
};

class RuleSet {
 public:
  static Result<std::shared_ptr<const RuleSet>> build(std::vector<RuleSpec> specs,
                                                      const MatchLimits& limits = {});
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  size_t size() const { return rules_.size(); }
  bool empty() const { return rules_.empty(); }
  // In evaluation order: priority ascending, ties in load order.
  const CompiledRule& rule(size_t i) const { return *rules_[i]; }
  // Distinct transform chains: rules sharing a chain share one transformed copy of an input.
  std::span<const std::vector<Transform>> chains() const { return chains_; }

  // What the rules read: InputKind bits, plus header names (lowercase) unless a glob covers
  // every header (all_headers).
  uint8_t kinds() const { return kinds_; }
  bool all_headers() const { return all_headers_; }
  std::span<const std::string> headers() const { return headers_; }

  // Runs rule i's pattern on `text`; on kMatch, *offset is where the match starts.
  MatchOutcome match(size_t i, std::string_view text, size_t* offset) const;

  uint64_t limit_hits() const { return limit_hits_.load(std::memory_order_relaxed); }

 private:
  RuleSet() = default;
  std::vector<std::unique_ptr<CompiledRule>> rules_;
  std::vector<std::vector<Transform>> chains_;
  uint8_t kinds_ = 0;
  bool all_headers_ = false;
  std::vector<std::string> headers_;
  MatchLimits limits_;
  ::pcre2_real_match_context_8* mctx_ = nullptr;
  mutable std::atomic<uint64_t> limit_hits_{0};
};

}  // namespace portcullis::rules::custom
