#include "rules/sqli/sqli_detector.h"

#include "rules/sqli/sqli_analysis.h"

namespace portcullis::rules {
namespace {

// The embeddings tried, in order. Backslash variants only matter when the input has a
// backslash (MySQL escapes \' inside literals, ANSI SQL does not), so they are skipped
// otherwise.
constexpr SqliContext kContexts[] = {
    {"bare", 0, false},
    {"single-quote", '\'', false},
    {"double-quote", '"', false},
    {"single-quote-mysql", '\'', true},
    {"double-quote-mysql", '"', true},
};

bool context_applies(const SqliContext& c, std::string_view in, bool has_backslash) {
  if (c.quote == 0) return true;
  if (c.backslash_escapes && !has_backslash) return false;
  return in.find(c.quote) != std::string_view::npos;  // no quote, no break
}

}  // namespace

std::optional<Finding> detect_sqli(std::string_view input) {
  if (input.size() > kSqliMaxExaminedBytes) input = input.substr(0, kSqliMaxExaminedBytes);
  if (input.empty()) return std::nullopt;
  bool has_backslash = input.find('\\') != std::string_view::npos;
  // 192 tokens (~4.6 KiB): a local would be value-initialized (SqlToken's member defaults) on
  // every call, which cost more than tokenizing a short input. tokenize_sql() writes every field
  // of the tokens [0, size) it reports, and nothing else is read, so one buffer per thread is
  // reused (detect_sqli does not recurse).
  static thread_local SqlTokenList list;
  for (const SqliContext& c : kContexts) {
    if (!context_applies(c, input, has_backslash)) continue;
    tokenize_sql(input, {c.quote, c.backslash_escapes}, list);
    SqliVerdict v = analyze_sqli_tokens(list, c.quote != 0);
    if (!v.flagged) continue;
    Finding f;
    f.detector = Detector::kSqli;
    f.context = c.name;
    f.reason = v.reason;
    char fp[Finding::kMaxFingerprint];
    size_t n = sqli_fingerprint(list, v, fp, sizeof(fp));
    f.set_fingerprint(std::string_view(fp, n));
    return f;
  }
  return std::nullopt;
}

void explain_sqli(std::string_view input, std::string& out) {
  if (input.size() > kSqliMaxExaminedBytes) {
    out += "(input truncated to first ";
    out += std::to_string(kSqliMaxExaminedBytes);
    out += " bytes)\n";
    input = input.substr(0, kSqliMaxExaminedBytes);
  }
  bool has_backslash = input.find('\\') != std::string_view::npos;
  SqlTokenList list;
  bool any = false;
  for (const SqliContext& c : kContexts) {
    out += "context ";
    out += c.name;
    out += ":";
    if (!context_applies(c, input, has_backslash)) {
      out += " skipped (no quote / backslash to act on)\n";
      continue;
    }
    tokenize_sql(input, {c.quote, c.backslash_escapes}, list);
    SqliVerdict v = analyze_sqli_tokens(list, c.quote != 0);
    out += "\n  tokens:";
    for (size_t i = 0; i < list.size; ++i) {
      const SqlToken& t = list.tokens[i];
      out += " [";
      out += t.letter();
      out += ' ';
      for (char ch : t.text) {
        unsigned char u = static_cast<unsigned char>(ch);
        if (u < 0x20 || u == 0x7f) {
          static const char* hex = "0123456789abcdef";
          out += "\\x";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += ch;
        }
      }
      out += ']';
      if (i == v.decisive) out += '*';
    }
    if (list.truncated) out += " ...(token limit)";
    char fp[Finding::kMaxFingerprint];
    size_t n = sqli_fingerprint(list, v, fp, sizeof(fp));
    out += "\n  fingerprint: ";
    out.append(fp, n);
    out += "\n  decision: ";
    out += v.flagged ? "INJECTION (" : "pass (";
    out += v.reason;
    out += ")\n";
    any = any || v.flagged;
  }
  out += any ? "verdict: sqli\n" : "verdict: clean\n";
}

}  // namespace portcullis::rules
