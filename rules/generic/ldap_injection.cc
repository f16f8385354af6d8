#include "rules/generic/ldap_injection.h"

namespace portcullis::rules {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

// RFC 4512 sec. 1.4 attribute description: descr (keystring) or a numeric OID, with ;options.
size_t attribute_length(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && is_alpha(s[i])) {
    while (i < s.size() && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == ';')) ++i;
  } else if (i < s.size() && is_digit(s[i])) {
    while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) ++i;
  }
  return i;
}

// After the `(`s: a filter component. An item needs its operator; `*` alone (a presence test
// written as `(*)`) is not valid LDAP and not counted.
bool starts_component(std::string_view s) {
  if (s.empty()) return false;
  if (s[0] == '&' || s[0] == '|' || s[0] == '!') return true;
  size_t n = attribute_length(s);
  if (n == 0 || n > 64) return false;
  s.remove_prefix(n);
  // Extensible match `cn:dn:=` is folded into "attribute then operator".
  if (s.starts_with(":")) {
    size_t e = s.find(":=");
    if (e == std::string_view::npos || e > 64) return false;
    return true;
  }
  return s.starts_with("=") || s.starts_with("~=") || s.starts_with(">=") || s.starts_with("<=");
}

}  // namespace

std::optional<Finding> detect_ldap_injection(std::string_view in) {
  // A complete filter operator with its first component, `(|(mail=*))` or `(&(uid=a)...`, inside
  // an assertion value: nothing but LDAP writes `(|(` followed by an attribute assertion.
  for (size_t p = in.find('('); p != std::string_view::npos; p = in.find('(', p + 1)) {
    if (p + 2 < in.size() && (in[p + 1] == '|' || in[p + 1] == '&' || in[p + 1] == '!') &&
        in[p + 2] == '(' && starts_component(in.substr(p + 3)) &&
        (in[p + 3] != '|' && in[p + 3] != '&' && in[p + 3] != '!')) {
      return make_finding(Detector::kGeneric, "ldap", "filter operator with an assertion",
                          "(|(attr=");
    }
  }
  for (size_t p = in.find(')'); p != std::string_view::npos; p = in.find(')', p + 1)) {
    size_t i = p + 1;
    // More `)` may close enclosing components first: `*))(|(uid=*`.
    while (i < in.size() && (in[i] == ')' || is_space(in[i]))) ++i;
    size_t opens = 0;
    while (i < in.size() && (in[i] == '(' || is_space(in[i]))) opens += in[i++] == '(';
    if (opens == 0) continue;
    if (starts_component(in.substr(i))) {
      return make_finding(Detector::kGeneric, "ldap", "filter component after closing parenthesis",
                          ")(attr=");
    }
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
