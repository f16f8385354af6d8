// The decision half of the SQLi detector: given the token stream of one embedding context,
// does the input form SQL structure? Internal to rules/sqli (used by detect and explain).
#pragma once

#include <cstddef>
#include <string_view>

#include "rules/sqli/sql_tokenizer.h"

namespace portcullis::rules {

struct SqliContext {
  std::string_view name;  // "bare", "single-quote", "double-quote" (static storage)
  char quote;             // 0 for bare
  bool backslash_escapes;
};

struct SqliVerdict {
  bool flagged = false;
  std::string_view reason;  // static storage; why it fired, or why it did not
  size_t decisive = 0;      // index (into the token list) of the token that decided
};

// A statement keyword after an operand with no ';' between: T-SQL runs "... 'x' exec ..." as one
// batch. The batch is compiled whole, so the caller also checks that the rest of the input parses.
inline constexpr std::string_view kSqliBatchStatement = "statement in a T-SQL batch (no ';')";

// `list` must come from tokenize_sql() with the context's options.
SqliVerdict analyze_sqli_tokens(const SqlTokenList& list, bool quoted);

// Writes a libinjection-style fingerprint (token letters up to and around the decisive token).
size_t sqli_fingerprint(const SqlTokenList& list, const SqliVerdict& v, char* out, size_t cap);

}  // namespace portcullis::rules
