#include "rules/objects/nosql_detector.h"

#include <algorithm>
#include <iterator>

namespace portcullis::rules {
namespace {

// MongoDB 7 operators that change what a query matches or does when they appear as a key.
// Kept sorted for binary search (checked in the unit test).
constexpr std::string_view kOperators[] = {
    "$abs",        "$accumulator",  "$addFields",    "$addToSet",
    "$all",        "$and",          "$bit",          "$bitsAllClear",
    "$bitsAllSet", "$bitsAnyClear", "$bitsAnySet",   "$box",
    "$bucket",     "$center",       "$centerSphere", "$comment",
    "$concat",     "$cond",         "$count",        "$currentDate",
    "$each",       "$elemMatch",    "$eq",           "$exists",
    "$expr",       "$facet",        "$function",     "$geoIntersects",
    "$geoNear",    "$geoWithin",    "$geometry",     "$graphLookup",
    "$group",      "$gt",           "$gte",          "$ifNull",
    "$in",         "$inc",          "$jsonSchema",   "$limit",
    "$lookup",     "$lt",           "$lte",          "$match",
    "$max",        "$maxDistance",  "$merge",        "$meta",
    "$min",        "$minDistance",  "$mod",          "$mul",
    "$natural",    "$ne",           "$near",         "$nearSphere",
    "$nin",        "$nor",          "$not",          "$options",
    "$or",         "$out",          "$polygon",      "$pop",
    "$position",   "$project",      "$pull",         "$pullAll",
    "$push",       "$rand",         "$redact",       "$regex",
    "$rename",     "$replaceRoot",  "$replaceWith",  "$sample",
    "$search",     "$set",          "$setOnInsert",  "$size",
    "$skip",       "$slice",        "$sort",         "$text",
    "$type",       "$unionWith",    "$unset",        "$unwind",
    "$where",
};

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$';
}
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_quote(char c) { return c == '"' || c == '\''; }

size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<Finding> make_finding(std::string_view context, std::string_view reason,
                                    std::string_view fingerprint) {
  Finding f;
  f.detector = Detector::kNosql;
  f.context = context;
  f.reason = reason;
  f.set_fingerprint(fingerprint);
  return f;
}

// The operator word starting at s[i] == '$', or empty.
std::string_view operator_at(std::string_view s, size_t i) {
  size_t e = i + 1;
  while (e < s.size() && ((s[e] >= 'a' && s[e] <= 'z') || (s[e] >= 'A' && s[e] <= 'Z'))) ++e;
  if (e == i + 1 || (e < s.size() && is_ident(s[e]))) return {};
  std::string_view word = s.substr(i, e - i);
  return is_mongo_operator(word) ? word : std::string_view{};
}

// An operator in key position: `{ $op:`, `, "$op":`, `[$op]`. Quotes around the key optional.
std::optional<Finding> find_operator_key(std::string_view s) {
  for (size_t i = s.find('$'); i != std::string_view::npos; i = s.find('$', i + 1)) {
    std::string_view op = operator_at(s, i);
    if (op.empty()) continue;
    // Preceding significant character, across one optional quote.
    size_t k = i;
    while (k > 0 && is_space(s[k - 1])) --k;
    if (k > 0 && is_quote(s[k - 1])) {
      --k;
      while (k > 0 && is_space(s[k - 1])) --k;
    }
    char before = k == 0 ? '\0' : s[k - 1];
    size_t m = i + op.size();
    if (m < s.size() && is_quote(s[m])) ++m;
    m = skip_ws(s, m);
    char after = m < s.size() ? s[m] : '\0';
    bool object_key = (before == '\0' || before == '{' || before == ',') && after == ':';
    bool bracket_key = before == '[' && after == ']';
    // A query string inside a value: "$where=sleep(100)", "a=1&$ne=".
    bool query_key = (before == '\0' || before == '&' || before == '?') && after == '=' &&
                     !(m + 1 < s.size() && s[m + 1] == '=');
    if (object_key || bracket_key || query_key) {
      return make_finding("object", "MongoDB operator in key position", op);
    }
  }
  return std::nullopt;
}

// `word` starts at s[i] and is a whole identifier there.
bool word_at(std::string_view s, size_t i, std::string_view word) {
  if (s.substr(i, word.size()) != word) return false;
  if (i > 0 && is_ident(s[i - 1])) return false;
  size_t e = i + word.size();
  return e >= s.size() || !is_ident(s[e]);
}

// Position right after the identifier at s[i], or i.
size_t skip_ident(std::string_view s, size_t i) {
  if (i >= s.size() || !is_ident_start(s[i])) return i;
  while (i < s.size() && is_ident(s[i])) ++i;
  return i;
}

// Something in s[from..] that only JavaScript code does: a statement or a call that executes.
bool has_js_statement(std::string_view s, size_t from) {
  static constexpr std::string_view kCallees[] = {"sleep",   "emit",       "tojson", "eval",
                                                  "require", "setTimeout", "print",  "printjson"};
  for (size_t i = from; i < s.size(); ++i) {
    if (!is_ident_start(s[i]) || (i > 0 && is_ident(s[i - 1]))) continue;
    size_t e = skip_ident(s, i);
    std::string_view w = s.substr(i, e - i);
    size_t n = skip_ws(s, e);
    char next = n < s.size() ? s[n] : '\0';
    if (w == "return" && ((n > e && (is_ident_start(next) || is_digit(next))) || is_quote(next) ||
                          next == '(' || next == '!')) {
      return true;
    }
    // Loops and branches need a body after the condition, so "Thanks; for (almost) all" in prose
    // does not count: `while(true){}`, `if (x) return`, `for(;;);`.
    if ((w == "while" || w == "for" || w == "if") && next == '(') {
      size_t close = s.find(')', n);
      if (close != std::string_view::npos && close - n <= 64) {
        size_t b = skip_ws(s, close + 1);
        if (b < s.size() && (s[b] == '{' || s[b] == ';' || word_at(s, b, "return"))) return true;
      }
    }
    if (w == "do" && next == '{') return true;
    if (w == "function" && (next == '(' || is_ident_start(next))) return true;
    if ((w == "this" || w == "db" || w == "process") && e < s.size() && s[e] == '.') return true;
    if ((w == "var" || w == "let" || w == "const") && n > e && is_ident_start(next)) {
      size_t a = skip_ws(s, skip_ident(s, n));
      if (a < s.size() && s[a] == '=') return true;
    }
    if (w == "new" && n > e && is_ident_start(next)) {
      size_t p = skip_ws(s, skip_ident(s, n));
      if (p < s.size() && s[p] == '(') return true;
    }
    if (next == '(' &&
        std::find(std::begin(kCallees), std::end(kCallees), w) != std::end(kCallees)) {
      return true;
    }
    i = e - 1;
  }
  return false;
}

// A tautology or comparison right at s[i]: `1==1`, `true`, `'a'=='a`, `this.x`, `!0`.
bool has_js_condition(std::string_view s, size_t i) {
  i = skip_ws(s, i);
  if (i >= s.size()) return false;
  if (word_at(s, i, "true") || s[i] == '!') return true;
  if (has_js_statement(s, i)) return true;
  std::string_view rest = s.substr(i);
  return rest.find("==") != std::string_view::npos || rest.find("!=") != std::string_view::npos;
}

// Input placed in a JavaScript string literal quoted with `q` (a `$where` built by string
// concatenation): the first `q` closes the literal, so what follows is code if it starts with an
// operator that continues the expression and then does something.
bool breaks_out_of_string(std::string_view s, char q) {
  size_t p = s.find(q);
  if (p == std::string_view::npos) return false;
  size_t j = skip_ws(s, p + 1);
  if (j >= s.size()) return false;
  std::string_view rest = s.substr(j);
  if (rest.substr(0, 2) == "&&" || rest.substr(0, 2) == "||") return has_js_condition(s, j + 2);
  if (rest[0] == ';' || rest[0] == ')') return has_js_statement(s, j + 1);
  if (rest[0] == '+') return has_js_statement(s, j + 1);
  if (rest.substr(0, 2) == "==" || rest.substr(0, 2) == "!=") {
    size_t k = skip_ws(s, j + (rest.substr(0, 3) == "===" || rest.substr(0, 3) == "!==" ? 3 : 2));
    return k < s.size() && (is_quote(s[k]) || is_digit(s[k]));
  }
  return false;
}

// Input used as JavaScript code itself (`$where: "this.age > " + input`).
bool is_js_code_context(std::string_view t) {
  if (t.substr(0, 2) == "||" || t.substr(0, 2) == "&&") return has_js_condition(t, 2);
  // A short literal then a statement: "0;return true", "1; sleep(5000)".
  size_t i = 0;
  while (i < t.size() && (is_ident(t[i]) || t[i] == '.') && i < 24) ++i;
  i = skip_ws(t, i);
  if (i < t.size() && t[i] == ';') return has_js_statement(t, i + 1);
  // A $where expression on the document: "this.password.match(/^a/)", "this.age > 0".
  if (t.substr(0, 5) == "this.") {
    size_t e = 5;
    while (e < t.size() && (is_ident(t[e]) || t[e] == '.')) ++e;
    e = skip_ws(t, e);
    if (e > 5 && e < t.size() &&
        (t[e] == '(' || t[e] == '<' || t[e] == '>' || t.substr(e, 2) == "==" ||
         t.substr(e, 2) == "!=")) {
      return true;
    }
  }
  // A $where function body: "function() { return true }".
  if (word_at(t, 0, "function") && t.find("return") != std::string_view::npos) {
    size_t p = skip_ws(t, 8);
    return p < t.size() && t[p] == '(';
  }
  return false;
}

// mongo shell / driver calls: db.users.find(...), db.getCollection("x").drop().
bool has_mongo_shell_call(std::string_view s) {
  for (size_t i = s.find("db."); i != std::string_view::npos; i = s.find("db.", i + 1)) {
    if (i > 0 && (is_ident(s[i - 1]) || s[i - 1] == '.')) continue;
    size_t e = skip_ident(s, i + 3);
    if (e == i + 3) continue;
    if (e < s.size() && s[e] == '(') return true;  // db.getCollection(
    if (e < s.size() && s[e] == '.') {
      size_t f = skip_ident(s, e + 1);
      if (f > e + 1 && f < s.size() && s[f] == '(') return true;  // db.users.insert(
    }
  }
  return false;
}

}  // namespace

bool is_mongo_operator(std::string_view name) {
  return std::binary_search(std::begin(kOperators), std::end(kOperators), name);
}

std::optional<Finding> detect_nosql_key(std::string_view key) {
  if (key.size() < 3 || key[0] != '$' || !is_mongo_operator(key)) return std::nullopt;
  return make_finding("key", "MongoDB operator as object key", key);
}

std::optional<Finding> detect_nosql_value(std::string_view decoded) {
  std::string_view t = trim(decoded);
  if (t.empty()) return std::nullopt;
  if (t[0] == '$' && is_mongo_operator(t)) {
    return make_finding("key", "value is a MongoDB operator name", t);
  }
  if (t.find('$') != std::string_view::npos) {
    if (auto f = find_operator_key(t)) return f;
  }
  if (breaks_out_of_string(t, '\'') || breaks_out_of_string(t, '"')) {
    return make_finding("javascript", "breaks out of a $where string and runs JavaScript", "'js");
  }
  if (is_js_code_context(t)) {
    return make_finding("javascript", "JavaScript condition or statement for $where", "js");
  }
  if (has_mongo_shell_call(t)) {
    return make_finding("javascript", "mongo shell call", "db.");
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
