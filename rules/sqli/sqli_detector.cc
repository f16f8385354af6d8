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

// Code points that Unicode-to-codepage "best fit" conversions turn into an ASCII apostrophe
// (SQL Server nvarchar -> varchar, MySQL with a latin1 connection, ODBC drivers): U+2018, U+2019
// and U+201B quotation marks, U+2032 prime, U+02BC modifier apostrophe, U+FF07 fullwidth
// apostrophe. A payload written with them (`‘ or 1=1 --`) breaks out once the database converts
// it. Returns the UTF-8 length of such a sequence at s[i], or 0.
size_t best_fit_apostrophe(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (b(0) == 0xE2 && b(1) == 0x80 &&
      (b(2) == 0x98 || b(2) == 0x99 || b(2) == 0x9B || b(2) == 0xB2)) {
    return 3;
  }
  if (b(0) == 0xCA && b(1) == 0xBC) return 2;
  if (b(0) == 0xEF && b(1) == 0xBC && b(2) == 0x87) return 3;
  return 0;
}

std::optional<Finding> detect_sqli_bytes(std::string_view input, bool complete);

// A string the input opens and nothing closes (the application's quote is another char) makes a
// T-SQL batch a syntax error, and SQL Server compiles the whole batch before running any of it:
// "He said \"drop table tennis, let's play chess\"" inside double quotes leaves `'s play chess"`
// open. Only for batch statements: with a ';' MySQL multi-statements run the statements before
// the broken one, and sloppy payloads ("1 AND 1=1 AND 'a'='a") still probe. A truncated token
// stream or input proves nothing.
bool batch_is_syntax_error(const SqliVerdict& v, const SqlTokenList& list, bool complete) {
  if (v.reason != kSqliBatchStatement) return false;
  if (!complete || list.truncated || list.size == 0) return false;
  const SqlToken& last = list.tokens[list.size - 1];
  if (last.type != SqlTokenType::kString || !last.has(kSqlFlagUnterminated) ||
      last.has(kSqlFlagContextOpen)) {
    return false;
  }
  for (size_t i = 0; i + 1 < list.size; ++i) {
    if (list.tokens[i].type == SqlTokenType::kSemicolon) return false;
  }
  return true;
}

}  // namespace

std::optional<Finding> detect_sqli(std::string_view input) {
  const bool complete = input.size() <= kSqliMaxExaminedBytes;
  if (!complete) input = input.substr(0, kSqliMaxExaminedBytes);
  if (auto f = detect_sqli_bytes(input, complete)) return f;
  // Only inputs holding a best-fit apostrophe get the second pass (bytes >= 0x80 are rare).
  bool lead = false;
  for (char c : input) lead |= static_cast<unsigned char>(c) >= 0xCA;
  if (!lead) return std::nullopt;
  char buf[kSqliMaxExaminedBytes];
  size_t n = 0;
  bool any = false;
  for (size_t i = 0; i < input.size();) {
    if (size_t len = best_fit_apostrophe(input, i)) {
      buf[n++] = '\'';
      i += len;
      any = true;
    } else {
      buf[n++] = input[i++];
    }
  }
  if (!any) return std::nullopt;
  auto f = detect_sqli_bytes(std::string_view(buf, n), complete);
  if (f) f->reason = "quote break-out through a best-fit apostrophe (U+2018/U+2019/U+2032)";
  return f;
}

namespace {

std::optional<Finding> detect_sqli_bytes(std::string_view input, bool complete) {
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
    if (!v.flagged || batch_is_syntax_error(v, list, complete)) continue;
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

}  // namespace

void explain_sqli(std::string_view input, std::string& out) {
  const bool complete = input.size() <= kSqliMaxExaminedBytes;
  if (!complete) {
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
    if (v.flagged && batch_is_syntax_error(v, list, complete)) {
      v.flagged = false;
      v.reason = "batch statement, but a literal the input opens is never closed: a syntax error";
    }
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
