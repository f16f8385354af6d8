// SqlTokenizer: a permissive, allocation-free SQL lexer over untrusted bytes.
//
// It knows every quoting style (single, double, backtick, N'' E'' X'' prefixes, PostgreSQL
// $tag$ dollar quotes, doubled-quote and optional backslash escapes), comments (--, #, /* */;
// MySQL /*! */ executable comments are lexed as code), numbers (hex 0x, binary 0b, decimal,
// scientific) and the operator set of MySQL, PostgreSQL, MSSQL, Oracle and SQLite.
//
// To model an input embedded inside an application's literal (`WHERE a = '<input>'`), the
// tokenizer can start *inside* a string opened by the application: the first token is then that
// literal, ending where the input breaks out of it (or at end of input when it never does).
#pragma once

#include <cstddef>
#include <string_view>

#include "rules/sqli/sql_token.h"

namespace portcullis::rules {

struct SqlTokenizerOptions {
  // 0: the input starts in code (bare context). Otherwise the quote character of the literal
  // the application opened before the input; the application closes it after the input.
  char open_quote = 0;
  // MySQL treats backslash as an escape inside strings; ANSI SQL (PostgreSQL with
  // standard_conforming_strings, MSSQL, Oracle, SQLite) does not.
  bool backslash_escapes = false;
};

class SqlTokenizer {
 public:
  explicit SqlTokenizer(std::string_view input, SqlTokenizerOptions options = {});

  // Produces the next token; returns false at end of input. Never fails.
  bool next(SqlToken& out);

 private:
  bool next_token(SqlToken& out);
  void skip_space();
  void scan_string(SqlToken& out, size_t start, size_t body, char quote, bool context_open);
  void scan_word(SqlToken& out, size_t start);
  void scan_number(SqlToken& out, size_t start);
  bool scan_operator(SqlToken& out, size_t start);
  bool scan_dollar_quote(SqlToken& out, size_t start);
  void finish(SqlToken& out, size_t start, size_t end, SqlTokenType type);

  std::string_view in_;
  size_t pos_ = 0;
  SqlTokenizerOptions opt_;
  bool first_ = true;
  bool space_before_ = false;
  int executable_comments_ = 0;  // open MySQL /*! ... */ sections
};

// A bounded token stream: the detector's fixed-size working set.
struct SqlTokenList {
  static constexpr size_t kMaxTokens = 192;
  SqlToken tokens[kMaxTokens];
  size_t size = 0;
  bool truncated = false;  // more tokens followed than fit
};

// Tokenizes all of `input` (up to kMaxTokens) into `list`.
void tokenize_sql(std::string_view input, SqlTokenizerOptions options, SqlTokenList& list);

}  // namespace portcullis::rules
