#define PCRE2_CODE_UNIT_WIDTH 8
#include "proxy/stages/access_lists/user_agent_matcher.h"

#include <pcre2.h>

namespace portcullis::access_lists {
namespace {

constexpr uint32_t kMatchLimit = 100000;
constexpr uint32_t kDepthLimit = 1000;

// One match-data block per thread, reused: no allocation per request. One pair suffices: we only
// need to know whether it matched.
pcre2_match_data* thread_match_data() {
  thread_local std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> md(
      pcre2_match_data_create(1, nullptr), pcre2_match_data_free);
  return md.get();
}

}  // namespace

UserAgentMatcher::~UserAgentMatcher() {
  if (code_ != nullptr) pcre2_code_free(code_);
  if (mctx_ != nullptr) pcre2_match_context_free(mctx_);
}

Result<std::shared_ptr<UserAgentMatcher>> UserAgentMatcher::build(
    std::span<const std::string> patterns) {
  std::shared_ptr<UserAgentMatcher> m(new UserAgentMatcher());
  if (patterns.empty()) return m;
  std::string combined;
  for (const std::string& p : patterns) {
    // Compile each alone first, so an error names the pattern instead of an offset in the union.
    int err = 0;
    PCRE2_SIZE off = 0;
    pcre2_code* one = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(),
                                    PCRE2_CASELESS, &err, &off, nullptr);
    if (one == nullptr) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof(msg));
      return make_error("user_agent_block pattern '" + p.substr(0, 128) + "' at offset " +
                        std::to_string(off) + ": " + reinterpret_cast<const char*>(msg));
    }
    pcre2_code_free(one);
    if (!combined.empty()) combined += '|';
    combined += "(?:" + p + ")";
  }
  int err = 0;
  PCRE2_SIZE off = 0;
  m->code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(combined.data()), combined.size(),
                           PCRE2_CASELESS, &err, &off, nullptr);
  if (m->code_ == nullptr) return make_error("user_agent_block: patterns do not combine");
  pcre2_jit_compile(m->code_, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if no JIT
  m->mctx_ = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(m->mctx_, kMatchLimit);
  pcre2_set_depth_limit(m->mctx_, kDepthLimit);
  return m;
}

bool UserAgentMatcher::matches(std::string_view ua) const {
  if (code_ == nullptr) return false;
  // Byte mode (no PCRE2_UTF): a user agent is attacker bytes, and in UTF mode one invalid byte
  // would make every match fail, an easy bypass.
  int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(ua.data()), ua.size(), 0, 0,
                       thread_match_data(), mctx_);
  if (rc >= 0) return true;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
      rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    limit_hits_.fetch_add(1, std::memory_order_relaxed);
  }
  return false;
}

}  // namespace portcullis::access_lists
