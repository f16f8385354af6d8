// The SQL vocabulary the tokenizer knows: keywords and functions across MySQL, PostgreSQL,
// MSSQL, Oracle and SQLite. Lookup is case-insensitive, allocation-free (a hash table built at
// compile time).
#pragma once

#include <string_view>

#include "rules/sqli/sql_token.h"

namespace portcullis::rules {

struct SqlWordClass {
  SqlTokenType type = SqlTokenType::kBareword;
  SqlKeyword keyword = SqlKeyword::kNone;
};

// Classifies a word (identifier-like run, may contain dots: "dbms_pipe.receive_message").
// Dotted names are looked up whole, then by their last component ("master..xp_cmdshell").
SqlWordClass classify_sql_word(std::string_view word);

// Case-insensitive ASCII equality, for keyword sequence checks.
bool sql_word_equals(std::string_view word, std::string_view upper);

}  // namespace portcullis::rules
