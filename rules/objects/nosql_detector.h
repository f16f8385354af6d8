// MongoDB operator injection (CWE-943). An app that passes parsed request data into a query
// object lets a client turn `{user: "bob"}` into `{user: {$ne: null}}` by sending
// `user[$ne]=x` (PHP/Rails/qs bracket expansion) or a JSON body. Zen flags any user-supplied
// object key that is a query operator; a proxy does the same on every key it extracts, and also
// looks inside string values that are themselves query-object text or JavaScript aimed at
// `$where` / `$function` / mapReduce.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// True when `name` (with its leading '$') is a MongoDB query, update, projection or aggregation
// operator. Case-sensitive, like the server: "$NE" or "$existsor" are plain strings.
bool is_mongo_operator(std::string_view name);

// One object key or bracket segment (from JSON or bracket notation). Fires when it is an
// operator: "$ne", "$where", "$regex". Finding.context = "key".
std::optional<Finding> detect_nosql_key(std::string_view key);

// A decoded string value. Fires on:
//  - the value being exactly an operator (it may be used as a key);
//  - operators in key position inside object or bracket text: `{"$gt": ""}`, `{ $ne: 1 }`,
//    `u_id[$ne]`, `', $or: [ {} ]` (context "object");
//  - JavaScript that breaks out of a string in a `$where` expression and runs code
//    (`' && this.password.match(/.*/)//`, `';sleep(5000);'`, `0;return true`, `|| 1==1`) and
//    mongo shell calls (`db.users.insert(...)`) (context "javascript").
// Prices ("$5", "US$"), shell variables ("$HOME") and prose with quotes do not fire.
std::optional<Finding> detect_nosql_value(std::string_view decoded);

}  // namespace portcullis::rules
