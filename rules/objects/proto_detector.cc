#include "rules/objects/proto_detector.h"

namespace portcullis::rules {
namespace {

constexpr std::string_view kProto = "__proto__";
constexpr std::string_view kConstructor = "constructor";
constexpr std::string_view kPrototype = "prototype";
// Most punctuation a path syntax puts between `constructor` and `prototype`:
// `.`, `][`, `"]["`, `":{"`, `']['`, with optional spaces.
constexpr size_t kMaxSeparator = 8;

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$';
}

bool is_path_punct(char c) {
  return c == '.' || c == '[' || c == ']' || c == '"' || c == '\'' || c == ':' || c == '{' ||
         c == ' ' || c == '\t' || c == '/';
}

std::optional<Finding> make_finding(std::string_view context, std::string_view reason,
                                    std::string_view fingerprint) {
  Finding f;
  f.detector = Detector::kProto;
  f.context = context;
  f.reason = reason;
  f.set_fingerprint(fingerprint);
  return f;
}

// `word` occurs at s[i] as a whole identifier (JS identifiers include '$' and '_').
bool whole_word_at(std::string_view s, size_t i, std::string_view word) {
  if (i > 0 && is_ident(s[i - 1])) return false;
  size_t e = i + word.size();
  return e >= s.size() || !is_ident(s[e]);
}

// Shared scan: `__proto__` as a whole identifier, or `constructor` followed, across path
// punctuation only (at least one character of it), by `prototype`.
std::optional<Finding> scan(std::string_view s, std::string_view context) {
  // Any occurrence, not only a whole word: "__pro__proto__to__" turns into __proto__ when a
  // filter strips the inner one once, and no honest text contains this identifier.
  if (s.find(kProto) != std::string_view::npos) {
    return make_finding(context, "__proto__ key reaches Object.prototype", kProto);
  }
  for (size_t i = s.find(kConstructor); i != std::string_view::npos;
       i = s.find(kConstructor, i + 1)) {
    if (!whole_word_at(s, i, kConstructor)) continue;
    size_t j = i + kConstructor.size();
    size_t sep = 0;
    bool punct = false;  // "constructor prototype" in prose is not a path
    while (j < s.size() && sep <= kMaxSeparator && is_path_punct(s[j])) {
      punct |= s[j] != ' ' && s[j] != '\t';
      ++j;
      ++sep;
    }
    if (!punct || sep > kMaxSeparator) continue;
    if (s.substr(j, kPrototype.size()) == kPrototype && whole_word_at(s, j, kPrototype)) {
      return make_finding(context, "constructor.prototype path reaches Object.prototype",
                          "constructor.prototype");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Finding> detect_proto_path(std::span<const std::string_view> key_path) {
  for (size_t i = 0; i < key_path.size(); ++i) {
    std::string_view seg = key_path[i];
    if (seg == kProto) {
      return make_finding("path", "__proto__ key reaches Object.prototype", kProto);
    }
    if (seg == kConstructor && i + 1 < key_path.size() && key_path[i + 1] == kPrototype) {
      return make_finding("path", "constructor.prototype path reaches Object.prototype",
                          "constructor.prototype");
    }
    // A single key that is itself a path, for sinks like _.set(obj, key, value).
    if (seg.size() > kProto.size() || seg.size() > kConstructor.size()) {
      if (auto f = scan(seg, "path")) return f;
    }
  }
  return std::nullopt;
}

std::optional<Finding> detect_proto_value(std::string_view decoded) {
  if (decoded.size() < kProto.size()) return std::nullopt;
  return scan(decoded, "value");
}

}  // namespace portcullis::rules
