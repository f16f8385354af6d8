// UserAgentMatcher: a block list of user-agent patterns (bad bots, scanners: sqlmap, nikto,
// masscan...) compiled into ONE PCRE2 alternation with JIT, so a request costs one match however
// many patterns there are. Patterns are matched case-insensitively anywhere in the value.
// Bounded: match and depth limits (a pathological pattern or value cannot burn the worker, the
// ReDoS concern); a match that hits a limit counts as "no match" (fail open: the user agent is
// attacker-chosen and is a weak signal anyway) and is counted.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "rules/base/result.h"

struct pcre2_real_code_8;
struct pcre2_real_match_context_8;

namespace portcullis::access_lists {

class UserAgentMatcher {
 public:
  // An empty list builds a matcher that never matches. Errors name the pattern and the offset.
  static Result<std::shared_ptr<UserAgentMatcher>> build(std::span<const std::string> patterns);
  ~UserAgentMatcher();
  bool matches(std::string_view user_agent) const;
  bool empty() const { return code_ == nullptr; }
  uint64_t limit_hits() const { return limit_hits_.load(std::memory_order_relaxed); }

 private:
  UserAgentMatcher() = default;
  ::pcre2_real_code_8* code_ = nullptr;
  ::pcre2_real_match_context_8* mctx_ = nullptr;
  mutable std::atomic<uint64_t> limit_hits_{0};
};

}  // namespace portcullis::access_lists
