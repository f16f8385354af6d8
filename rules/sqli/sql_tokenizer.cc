#include "rules/sqli/sql_tokenizer.h"

#include "rules/sqli/sql_keywords.h"

namespace portcullis::rules {
namespace {

using T = SqlTokenType;
using K = SqlKeyword;

bool is_space(unsigned char c) {
  // NUL counts as space: several drivers and MSSQL ignore it, attackers use it as a separator.
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0;
}
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_xdigit(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Identifier bytes: MySQL allows '$' and any non-ASCII byte (UTF-8 letters) in identifiers.
bool is_word(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}
bool is_word_start(unsigned char c) { return is_alpha(c) || c == '_' || c >= 0x80; }

struct Op {
  std::string_view text;
  T type;
};

// Longest first. "==" is deliberately absent: it is C/JavaScript, not SQL (bar SQLite), and
// treating it as unknown keeps code snippets in text fields from parsing as SQL.
constexpr Op kOps[] = {
    {"<=>", T::kCompare}, {"->>", T::kOperator}, {"!~*", T::kCompare}, {"<>", T::kCompare},
    {"!=", T::kCompare},  {"<=", T::kCompare},   {">=", T::kCompare},  {"||", T::kLogic},
    {"&&", T::kLogic},    {"::", T::kOperator},  {":=", T::kOperator}, {"->", T::kOperator},
    {"<<", T::kOperator}, {">>", T::kOperator},  {"@>", T::kCompare},  {"<@", T::kCompare},
    {"!~", T::kCompare},  {"~*", T::kCompare},   {"!<", T::kCompare},  {"!>", T::kCompare},
    {"=", T::kCompare},   {"<", T::kCompare},    {">", T::kCompare},   {"+", T::kOperator},
    {"-", T::kOperator},  {"*", T::kOperator},   {"/", T::kOperator},  {"%", T::kOperator},
    {"&", T::kOperator},  {"|", T::kOperator},   {"^", T::kOperator},  {"~", T::kOperator},
    {"!", T::kNot},
};

}  // namespace

SqlTokenizer::SqlTokenizer(std::string_view input, SqlTokenizerOptions options)
    : in_(input), opt_(options), first_(options.open_quote != 0) {}

void SqlTokenizer::skip_space() {
  while (pos_ < in_.size() && is_space(static_cast<unsigned char>(in_[pos_]))) {
    ++pos_;
    space_before_ = true;
  }
}

void SqlTokenizer::finish(SqlToken& out, size_t start, size_t end, SqlTokenType type) {
  out.text = in_.substr(start, end - start);
  out.type = type;
  out.keyword = K::kNone;
  out.flags = space_before_ ? kSqlFlagSpaceBefore : 0;
  space_before_ = false;
  pos_ = end;
}

void SqlTokenizer::scan_string(SqlToken& out, size_t start, size_t body, char quote,
                               bool context_open) {
  bool backslash = opt_.backslash_escapes;
  // PostgreSQL E'...' strings always honour backslash escapes.
  if (body >= 2 && (in_[start] == 'E' || in_[start] == 'e')) backslash = true;
  size_t i = body;
  while (i < in_.size()) {
    char c = in_[i];
    if (c == '\\' && backslash && quote != '`') {
      i += 2;
      continue;
    }
    if (c == quote) {
      if (i + 1 < in_.size() && in_[i + 1] == quote) {  // doubled quote: an escaped quote
        i += 2;
        continue;
      }
      finish(out, start, i + 1, quote == '`' ? T::kBareword : T::kString);
      if (context_open) out.flags |= kSqlFlagContextOpen;
      return;
    }
    ++i;
  }
  finish(out, start, in_.size(), quote == '`' ? T::kBareword : T::kString);
  if (context_open) {
    out.flags |= kSqlFlagContextOpen | kSqlFlagUnterminated;
  } else if (quote == opt_.open_quote) {
    out.flags |= kSqlFlagClosedByApp;  // the application's closing quote ends it
  } else {
    out.flags |= kSqlFlagUnterminated;
  }
}

void SqlTokenizer::scan_word(SqlToken& out, size_t start) {
  size_t i = start;
  while (i < in_.size()) {
    unsigned char c = static_cast<unsigned char>(in_[i]);
    if (is_word(c)) {
      ++i;
    } else if (c == '.' && i + 1 < in_.size() &&
               (is_word_start(static_cast<unsigned char>(in_[i + 1])) || in_[i + 1] == '.')) {
      ++i;  // qualified name: schema.table, master..xp_cmdshell, dbms_pipe.receive_message
    } else {
      break;
    }
  }
  // A trailing dot of "a.." is not part of the name.
  while (i > start + 1 && in_[i - 1] == '.') --i;
  finish(out, start, i, T::kBareword);
  SqlWordClass wc = classify_sql_word(out.text);
  out.type = wc.type;
  out.keyword = wc.keyword;

  // Function call? A name directly followed by '(' is a call (MySQL built-ins require that);
  // known functions may also have whitespace before '(' (PostgreSQL, IGNORE_SPACE).
  size_t j = i;
  bool spaced = false;
  while (j < in_.size() && is_space(static_cast<unsigned char>(in_[j]))) {
    ++j;
    spaced = true;
  }
  if (j >= in_.size() || in_[j] != '(') return;
  bool known = wc.keyword == K::kFunc || wc.keyword == K::kEvilFunc;
  if (spaced) {
    if (known && wc.type == T::kBareword) out.type = T::kFunction;
    return;
  }
  if (wc.type == T::kBareword || wc.keyword == K::kValue || (wc.type == T::kStatement && known) ||
      (wc.type == T::kOperator && known)) {
    out.type = T::kFunction;
  }
}

void SqlTokenizer::scan_number(SqlToken& out, size_t start) {
  size_t i = start;
  size_t n = in_.size();
  auto at = [&](size_t k) -> unsigned char {
    return k < n ? static_cast<unsigned char>(in_[k]) : 0;
  };
  if (at(i) == '0' && (at(i + 1) == 'x' || at(i + 1) == 'X') && is_xdigit(at(i + 2))) {
    i += 2;
    while (is_xdigit(at(i))) ++i;
  } else if (at(i) == '0' && (at(i + 1) == 'b' || at(i + 1) == 'B') &&
             (at(i + 2) == '0' || at(i + 2) == '1')) {
    i += 2;
    while (at(i) == '0' || at(i) == '1') ++i;
  } else {
    while (is_digit(at(i))) ++i;
    if (at(i) == '.') {
      ++i;
      while (is_digit(at(i))) ++i;
    }
    if ((at(i) == 'e' || at(i) == 'E') &&
        (is_digit(at(i + 1)) || ((at(i + 1) == '+' || at(i + 1) == '-') && is_digit(at(i + 2))))) {
      i += 2;
      while (is_digit(at(i))) ++i;
    }
  }
  if (i < n && is_word(at(i))) {
    // "1union", "1and": MySQL reads a number followed by a keyword as two tokens.
    size_t k = i;
    while (k < n && is_word(at(k))) ++k;
    SqlWordClass wc = classify_sql_word(in_.substr(i, k - i));
    bool keyword = wc.type == T::kUnion || wc.type == T::kLogic || wc.type == T::kStatement ||
                   wc.type == T::kCompare || wc.keyword == K::kClause ||
                   wc.keyword == K::kOrderGroup;
    if (!keyword) {
      // "1foo", "5desc", "1.2eill": an identifier (MySQL allows digits first).
      finish(out, start, k, T::kBareword);
      if (k < n && in_[k] == '(') out.type = T::kFunction;
      return;
    }
  }
  finish(out, start, i, T::kNumber);
}

bool SqlTokenizer::scan_dollar_quote(SqlToken& out, size_t start) {
  // PostgreSQL dollar quoting: $$text$$ or $tag$text$tag$.
  size_t i = start + 1;
  while (i < in_.size() && (is_alpha(static_cast<unsigned char>(in_[i])) || in_[i] == '_' ||
                            (i > start + 1 && is_digit(static_cast<unsigned char>(in_[i]))))) {
    ++i;
  }
  if (i >= in_.size() || in_[i] != '$') return false;
  std::string_view tag = in_.substr(start, i + 1 - start);
  size_t close = in_.find(tag, i + 1);
  if (close == std::string_view::npos) {
    finish(out, start, in_.size(), T::kString);
    out.flags |= kSqlFlagUnterminated;
  } else {
    finish(out, start, close + tag.size(), T::kString);
  }
  return true;
}

bool SqlTokenizer::scan_operator(SqlToken& out, size_t start) {
  std::string_view rest = in_.substr(start);
  // The first byte rejects almost every entry without a string comparison (start < size).
  for (const Op& op : kOps) {
    if (op.text[0] == rest[0] && rest.substr(0, op.text.size()) == op.text) {
      finish(out, start, start + op.text.size(), op.type);
      return true;
    }
  }
  return false;
}

bool SqlTokenizer::next(SqlToken& out) {
  bool first = first_;
  if (!next_token(out)) return false;
  if (out.text.empty() && !first) {
    // Defensive: every token after the context literal consumes input, so the scan always
    // terminates even if a scanner above mis-handles some byte sequence.
    if (pos_ >= in_.size()) return false;
    finish(out, pos_, pos_ + 1, T::kUnknown);
  }
  return true;
}

bool SqlTokenizer::next_token(SqlToken& out) {
  if (first_) {
    first_ = false;
    scan_string(out, 0, 0, opt_.open_quote, /*context_open=*/true);
    return true;
  }
  for (;;) {
    skip_space();
    if (pos_ >= in_.size()) return false;
    size_t start = pos_;
    size_t n = in_.size();
    unsigned char c = static_cast<unsigned char>(in_[pos_]);
    unsigned char c1 = pos_ + 1 < n ? static_cast<unsigned char>(in_[pos_ + 1]) : 0;

    if (c == '*' && c1 == '/' && executable_comments_ > 0) {  // end of /*! ... */
      --executable_comments_;
      pos_ += 2;
      space_before_ = true;
      continue;
    }
    if ((c == '-' && c1 == '-') || c == '#') {
      // Line comment. MySQL wants "-- " with a space; PostgreSQL, MSSQL, Oracle and SQLite
      // do not, so any "--" counts. '#' is MySQL's.
      size_t e = in_.find('\n', start);
      bool to_end = e == std::string_view::npos;
      finish(out, start, to_end ? n : e, T::kComment);
      out.flags |= kSqlFlagLineComment | (to_end ? kSqlFlagUnterminated : 0);
      return true;
    }
    if (c == '/' && c1 == '*') {
      if (pos_ + 2 < n && in_[pos_ + 2] == '!') {
        // MySQL executable comment /*!50000 ... */: its content is code.
        pos_ += 3;
        while (pos_ < n && is_digit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
        ++executable_comments_;
        space_before_ = true;
        continue;
      }
      size_t e = in_.find("*/", start + 2);
      bool open = e == std::string_view::npos;
      finish(out, start, open ? n : e + 2, T::kComment);
      if (open) out.flags |= kSqlFlagUnterminated;
      return true;
    }
    if (c == '\'' || c == '"' || c == '`') {
      scan_string(out, start, start + 1, static_cast<char>(c), false);
      return true;
    }
    if (is_digit(c) || (c == '.' && is_digit(c1))) {
      scan_number(out, start);
      return true;
    }
    if (c == '\\' && c1 == 'N') {  // MySQL's \N is NULL
      finish(out, start, start + 2, T::kKeyword);
      out.keyword = K::kValue;
      return true;
    }
    if (c == 0xE2 && c1 == 0x80 && pos_ + 2 < n) {
      // U+2000..U+203F: dashes, curly quotes, primes, bullets. Punctuation, not letters
      // ("' or 1=1 –" pasted from a word processor).
      finish(out, start, start + 3, T::kUnknown);
      return true;
    }
    if (is_word_start(c)) {
      // String prefixes: N'..' (MSSQL national), E'..' (PostgreSQL escape), X'..', B'..',
      // and MySQL charset introducers _utf8'..'.
      if (c1 == '\'' && (c == 'N' || c == 'n' || c == 'E' || c == 'e' || c == 'X' || c == 'x' ||
                         c == 'B' || c == 'b')) {
        scan_string(out, start, start + 2, '\'', false);
        return true;
      }
      if (c == '_') {
        size_t k = start + 1;
        while (k < n && is_word(static_cast<unsigned char>(in_[k])) && in_[k] != '$') ++k;
        if (k < n && k > start + 1 && (in_[k] == '\'' || in_[k] == '"')) {
          scan_string(out, start, k + 1, in_[k], false);
          return true;
        }
      }
      scan_word(out, start);
      return true;
    }
    if (c == '$') {
      if (is_digit(c1)) {  // $1 positional parameter
        size_t k = start + 1;
        while (k < n && is_digit(static_cast<unsigned char>(in_[k]))) ++k;
        finish(out, start, k, T::kVariable);
        return true;
      }
      if (scan_dollar_quote(out, start)) return true;
      scan_word(out, start);
      return true;
    }
    if (c == '@' && c1 != '>') {
      size_t k = start + 1;
      bool system = c1 == '@';
      if (system) ++k;
      if (k < n && (in_[k] == '\'' || in_[k] == '"' || in_[k] == '`')) {
        char q = in_[k];
        size_t e = in_.find(q, k + 1);
        k = e == std::string_view::npos ? n : e + 1;
      } else {
        while (k < n && (is_word(static_cast<unsigned char>(in_[k])) || in_[k] == '.')) ++k;
      }
      finish(out, start, k, T::kVariable);
      if (system) out.flags |= kSqlFlagSystemVar;
      return true;
    }
    if (c == ':' && is_word_start(c1)) {  // :name bind parameter
      size_t k = start + 1;
      while (k < n && is_word(static_cast<unsigned char>(in_[k]))) ++k;
      finish(out, start, k, T::kVariable);
      return true;
    }
    switch (c) {
      case '(':
        finish(out, start, start + 1, T::kLParen);
        return true;
      case ')':
        finish(out, start, start + 1, T::kRParen);
        return true;
      case ',':
        finish(out, start, start + 1, T::kComma);
        return true;
      case ';':
        finish(out, start, start + 1, T::kSemicolon);
        return true;
      case '.':
        finish(out, start, start + 1, T::kDot);
        return true;
      case '=':
        if (c1 == '=') {  // see kOps: "==" is not SQL
          finish(out, start, start + 2, T::kUnknown);
          return true;
        }
        break;
      default:
        break;
    }
    if (scan_operator(out, start)) return true;
    finish(out, start, start + 1, T::kUnknown);
    return true;
  }
}

void tokenize_sql(std::string_view input, SqlTokenizerOptions options, SqlTokenList& list) {
  SqlTokenizer tok(input, options);
  // The count lives in a register: through `list` every token store would reload it.
  size_t n = 0;
  bool truncated = false;
  SqlToken t;
  while (tok.next(t)) {
    if (n == SqlTokenList::kMaxTokens) {
      truncated = true;
      break;
    }
    list.tokens[n++] = t;
  }
  list.size = n;
  list.truncated = truncated;
}

}  // namespace portcullis::rules
