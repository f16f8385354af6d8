// SQL injection detection, Aikido Zen style: an input is an injection when, embedded in a SQL
// query the way an application embeds user input, it changes the *structure* of the query
// (breaks out of its literal and forms boolean logic, UNION SELECT, a stacked statement, a
// truncating comment, a time/error-based call, a subquery...), not when it merely contains a
// scary word. A proxy has no sink, so every plausible embedding is tried: bare (a number or
// identifier position, `WHERE id = <input>`), inside '...' and inside "..." (with ANSI and
// MySQL backslash string rules). Parentheses the app may have opened are allowed to be closed.
//
// Pure function: no allocation, no exceptions, bounded work. Only the first kMaxExaminedBytes
// bytes are examined and at most SqlTokenList::kMaxTokens tokens per context.
// The input must already be decoded (percent, '+', entities...) by the caller.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rules/detect/finding.h"
#include "rules/sqli/sql_token.h"

namespace portcullis::rules {

inline constexpr size_t kSqliMaxExaminedBytes = 8192;

std::optional<Finding> detect_sqli(std::string_view input);

// Human-readable trace for `portcullis explain`: for each context, the token stream (type letter
// and text) and the decision with its reason. Allocates; not for the data path.
void explain_sqli(std::string_view input, std::string& out);

}  // namespace portcullis::rules
