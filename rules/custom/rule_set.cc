#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules/custom/rule_set.h"

#include <pcre2.h>

#include <algorithm>
#include <map>

#include "rules/inspect/location_pattern.h"

namespace portcullis::rules::custom {
namespace {

constexpr size_t kMaxPatternBytes = 8192;
constexpr size_t kMaxRules = 10000;

// One match-data block per thread, reused: no allocation per match. One pair: only the start
// offset of the match is used (for the excerpt).
pcre2_match_data* thread_match_data() {
  thread_local std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> md(
      pcre2_match_data_create(1, nullptr), pcre2_match_data_free);
  return md.get();
}

// The JIT stack is per thread (a JIT stack must not be used by two threads at once), created on
// first use with the rule set's size. PCRE2 calls this before each JIT match.
pcre2_jit_stack* thread_jit_stack(void* data) {
  const auto bytes = static_cast<size_t>(reinterpret_cast<uintptr_t>(data));
  struct Holder {
    size_t bytes = 0;
    pcre2_jit_stack* stack = nullptr;
    ~Holder() {
      if (stack != nullptr) pcre2_jit_stack_free(stack);
    }
  };
  thread_local Holder h;
  if (h.stack == nullptr || h.bytes != bytes) {
    if (h.stack != nullptr) pcre2_jit_stack_free(h.stack);
    h.stack = pcre2_jit_stack_create(std::min<size_t>(32 * 1024, bytes), bytes, nullptr);
    h.bytes = bytes;
  }
  return h.stack;  // null: PCRE2 falls back to its 32 KiB machine stack
}

uint8_t kinds_of_glob(std::string_view glob) {
  if (glob.empty()) return 0;
  if (glob[0] == '*') return kKindQuery | kKindPath | kKindCookie | kKindHeader | kKindBody;
  return input_kind_of(glob);
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR msg[256];
  pcre2_get_error_message(code, msg, sizeof(msg));
  return reinterpret_cast<const char*>(msg);
}

}  // namespace

uint8_t input_kind_of(std::string_view loc) {
  if (loc.starts_with("query")) return kKindQuery;
  if (loc.starts_with("path")) return kKindPath;
  if (loc.starts_with("cookie")) return kKindCookie;
  if (loc.starts_with("header")) return kKindHeader;
  if (loc.starts_with("body")) return kKindBody;
  return 0;
}

bool CompiledRule::reads(std::string_view location) const {
  if ((kinds & input_kind_of(location)) == 0) return false;
  for (const Selector& s : selectors) {
    switch (s.kind) {
      case Selector::Kind::kExact:
        if (location == s.text) return true;
        break;
      case Selector::Kind::kPrefix:
        if (location.starts_with(s.text)) return true;
        break;
      case Selector::Kind::kGlob:
        if (glob_match(s.text, location)) return true;
        break;
    }
  }
  return false;
}

RuleSet::~RuleSet() {
  for (auto& r : rules_) {
    if (r->code != nullptr) pcre2_code_free(r->code);
  }
  if (mctx_ != nullptr) pcre2_match_context_free(mctx_);
}

Result<std::shared_ptr<const RuleSet>> RuleSet::build(std::vector<RuleSpec> specs,
                                                      const MatchLimits& limits) {
  std::shared_ptr<RuleSet> set(new RuleSet());
  set->limits_ = limits;
  if (specs.size() > kMaxRules) return make_error("more than 10000 custom rules");
  std::map<std::string, const RuleSpec*, std::less<>> ids;
  for (const RuleSpec& s : specs) {
    auto [it, fresh] = ids.emplace(s.id, &s);
    if (!fresh) {
      return make_error(s.file + ":" + std::to_string(s.line) + ": rule '" + s.id +
                        "': duplicate id (first defined at " + it->second->file + ":" +
                        std::to_string(it->second->line) + ")");
    }
  }
  // Priority order; stable so equal priorities keep load order (documented tie-break).
  std::stable_sort(specs.begin(), specs.end(),
                   [](const RuleSpec& a, const RuleSpec& b) { return a.priority < b.priority; });
  const bool have_jit = [] {
    uint32_t jit = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &jit);
    return jit != 0;
  }();
  for (RuleSpec& s : specs) {
    const std::string where = s.file + ":" + std::to_string(s.line) + ": rule '" + s.id + "': ";
    if (s.pattern.size() > kMaxPatternBytes) return make_error(where + "pattern longer than 8 KiB");
    auto r = std::make_unique<CompiledRule>();
    int err = 0;
    PCRE2_SIZE off = 0;
    r->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(s.pattern.data()), s.pattern.size(),
                            PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &err, &off, nullptr);
    if (r->code == nullptr) {
      return make_error(where + "bad pattern at offset " + std::to_string(off) + ": " +
                        pcre2_message(err));
    }
    if (have_jit) {
      int jrc = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
      if (jrc != 0) {
        pcre2_code_free(r->code);
        return make_error(where + "JIT compilation failed: " + pcre2_message(jrc));
      }
    }
    r->id = std::move(s.id);
    r->description = std::move(s.description);
    r->action = s.action;
    r->priority = s.priority;
    r->file = std::move(s.file);
    r->line = s.line;
    r->inputs = std::move(s.inputs);
    for (const std::string& g : r->inputs) {
      const size_t star = g.find('*');
      if (star == std::string::npos) {
        r->selectors.push_back({CompiledRule::Selector::Kind::kExact, g});
      } else if (star == g.size() - 1) {
        r->selectors.push_back({CompiledRule::Selector::Kind::kPrefix, g.substr(0, star)});
      } else {
        r->selectors.push_back({CompiledRule::Selector::Kind::kGlob, g});
      }
      r->kinds |= kinds_of_glob(g);
      if (g == "*" || g.starts_with("header:")) {
        std::string_view name = g == "*" ? std::string_view("*") : std::string_view(g).substr(7);
        if (name.find('*') != std::string_view::npos) {
          set->all_headers_ = true;
        } else if (std::find(set->headers_.begin(), set->headers_.end(), name) ==
                   set->headers_.end()) {
          set->headers_.emplace_back(name);
        }
      }
    }
    set->kinds_ |= r->kinds;
    auto chain = std::find(set->chains_.begin(), set->chains_.end(), s.transforms);
    if (chain == set->chains_.end()) {
      set->chains_.push_back(s.transforms);
      chain = set->chains_.end() - 1;
    }
    r->chain = static_cast<uint16_t>(chain - set->chains_.begin());
    set->rules_.push_back(std::move(r));
  }
  set->mctx_ = pcre2_match_context_create(nullptr);
  if (set->mctx_ == nullptr) return make_error("custom rules: out of memory");
  pcre2_set_match_limit(set->mctx_, limits.match_limit);
  pcre2_set_depth_limit(set->mctx_, limits.depth_limit);
  pcre2_set_heap_limit(set->mctx_, limits.heap_limit_kib);
  pcre2_jit_stack_assign(set->mctx_, thread_jit_stack,
                         reinterpret_cast<void*>(static_cast<uintptr_t>(limits.jit_stack_bytes)));
  return std::shared_ptr<const RuleSet>(std::move(set));
}

MatchOutcome RuleSet::match(size_t i, std::string_view text, size_t* offset) const {
  const CompiledRule& r = *rules_[i];
  pcre2_match_data* md = thread_match_data();
  int rc =
      pcre2_match(r.code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, md, mctx_);
  if (rc >= 0) {
    *offset = pcre2_get_ovector_pointer(md)[0];
    r.matches.fetch_add(1, std::memory_order_relaxed);
    return MatchOutcome::kMatch;
  }
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
      rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    r.limit_hits.fetch_add(1, std::memory_order_relaxed);
    limit_hits_.fetch_add(1, std::memory_order_relaxed);
    return MatchOutcome::kLimit;
  }
  return MatchOutcome::kNoMatch;  // PCRE2_ERROR_NOMATCH (or another error: never a match)
}

}  // namespace portcullis::rules::custom
