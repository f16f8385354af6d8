#include "rules/generic/template_injection.h"

#include <array>

#include "rules/generic/js_lexer.h"

namespace portcullis::rules {
namespace {

using js::Token;
using js::TokKind;

constexpr size_t kMaxInner = 2048;   // bytes of one expression we look at
constexpr size_t kMaxOpeners = 128;  // delimiters examined per input
constexpr size_t kMaxExprTokens = 512;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ---------------------------------------------------------------------------------------------
// Log4j lookups. Log4j 2 resolves `${prefix:key:-default}` recursively, so `${${lower:j}ndi:...}`
// and `${${::-j}${::-n}${::-d}${::-i}:...}` both become `${jndi:...}`. We evaluate the nesting
// with a fixed buffer and depth, the way Log4j's StrSubstitutor would.

constexpr size_t kLookupBuf = 256;
constexpr int kLookupDepth = 8;

struct LookupState {
  bool jndi = false;
  bool known_lookup = false;
  int budget = 256;  // nested lookups evaluated per input
};

bool is_log4j_lookup_name(std::string_view n) {
  static constexpr std::array<std::string_view, 20> kNames = {
      "jndi", "env",   "sys",    "java",       "lower",  "upper",     "date",
      "ctx",  "main",  "bundle", "marker",     "sd",     "web",       "docker",
      "k8s",  "log4j", "spring", "kubernetes", "base64", "jvmrunargs"};
  for (auto w : kNames) {
    if (iequals(n, w)) return true;
  }
  return false;
}

// `s` starts right after "${". Resolves up to the matching '}' and writes the value into out.
// Returns the index just past the closing brace (or s.size() if unterminated).
size_t resolve_lookup(std::string_view s, int depth, LookupState& st, char* out, size_t& out_len) {
  char buf[kLookupBuf];
  size_t len = 0;
  size_t i = 0;
  bool closed = false;
  while (i < s.size() && len < kLookupBuf) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{' && depth < kLookupDepth &&
        st.budget-- > 0) {
      char inner[kLookupBuf];
      size_t inner_len = 0;
      i += 2 + resolve_lookup(s.substr(i + 2), depth + 1, st, inner, inner_len);
      for (size_t k = 0; k < inner_len && len < kLookupBuf; ++k) buf[len++] = inner[k];
      continue;
    }
    if (s[i] == '}') {
      closed = true;
      ++i;
      break;
    }
    buf[len++] = s[i++];
  }
  std::string_view content(buf, len);
  out_len = 0;
  if (istarts_with(content, "jndi:")) st.jndi = true;
  size_t colon = content.find(':');
  if (colon != std::string_view::npos && colon > 0 &&
      is_log4j_lookup_name(content.substr(0, colon))) {
    st.known_lookup = true;
  }
  std::string_view value;
  size_t dflt = content.find(":-");
  if (dflt != std::string_view::npos) {
    value = content.substr(dflt + 2);
  } else if (istarts_with(content, "lower:") || istarts_with(content, "upper:")) {
    value = content.substr(6);
  } else if (!closed) {
    value = content;
  }
  for (char c : value) {
    if (out_len >= kLookupBuf) break;
    out[out_len++] = c;
  }
  // Skip the rest of an over-long lookup up to its closing brace.
  if (!closed) {
    while (i < s.size() && s[i] != '}') ++i;
    if (i < s.size()) ++i;
  }
  return i;
}

std::optional<Finding> check_log4j(std::string_view in) {
  LookupState st;
  size_t pos = 0;
  while ((pos = in.find("${", pos)) != std::string_view::npos && st.budget > 0) {
    char out[kLookupBuf];
    size_t out_len = 0;
    --st.budget;
    size_t used = resolve_lookup(in.substr(pos + 2), 1, st, out, out_len);
    if (istarts_with(std::string_view(out, out_len), "jndi:")) st.jndi = true;
    if (st.jndi)
      return make_finding(Detector::kGeneric, "log4j", "JNDI lookup (Log4Shell)", "${jndi:");
    if (st.known_lookup) return make_finding(Detector::kGeneric, "log4j", "Log4j lookup", "${x:");
    pos += 2 + (used == 0 ? 0 : used - 1);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Template expressions.

bool is_template_global(std::string_view n) {
  // Objects whose mere rendering leaks secrets or starts a gadget chain (Jinja2, Twig, Flask,
  // Django, Tornado, Mako).
  static constexpr std::array<std::string_view, 12> kNames = {
      "config", "self",      "request", "settings", "lipsum",      "cycler",
      "joiner", "namespace", "_self",   "_context", "application", "url_for"};
  for (auto w : kNames) {
    if (n == w) return true;
  }
  return false;
}

bool is_gadget_filter(std::string_view n) {
  static constexpr std::array<std::string_view, 8> kNames = {"attr", "join",   "format", "filter",
                                                             "map",  "reduce", "first",  "last"};
  for (auto w : kNames) {
    if (n == w) return true;
  }
  return false;
}

bool is_control_word(std::string_view n) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "if",   "for", "while", "switch", "catch", "function",
      "with", "in",  "and",   "or",     "not",   "elif"};
  for (auto w : kNames) {
    if (n == w) return true;
  }
  return false;
}

// OGNL (Struts2 S2-045 and friends): `#context`, `#_memberAccess`, `#a=@java.lang...`. Shell's
// `${#array[@]}` must not match, so only well-known context names, `_`-prefixed names and
// assignments count.
bool is_ognl_variable(std::string_view name, const js::Lexer& lexer, std::string_view inner) {
  static constexpr std::array<std::string_view, 9> kNames = {"context", "request",     "response",
                                                             "session", "application", "parameters",
                                                             "attr",    "container",   "ognlutil"};
  if (name.starts_with('_')) return true;
  for (auto w : kNames) {
    if (name == w) return true;
  }
  size_t p = lexer.position();
  while (p < inner.size() && inner[p] == ' ') ++p;
  return p < inner.size() && inner[p] == '=' && (p + 1 >= inner.size() || inner[p + 1] != '=');
}

bool is_arith(const Token& t) {
  return t.kind == TokKind::kPunct && (t.text == "*" || t.text == "/" || t.text == "%" ||
                                       t.text == "+" || t.text == "-" || t.text == "**");
}

bool is_operand(const Token& t) {
  return t.kind == TokKind::kNumber || t.kind == TokKind::kString || t.kind == TokKind::kIdent ||
         t.is_punct(")") || t.is_punct("]");
}

struct ExprVerdict {
  std::string_view reason;
  std::string_view context = "template";
};

// Judges the inside of a template delimiter. `ognl` enables `#var` / `@Class@member` syntax.
std::optional<ExprVerdict> analyse_expression(std::string_view inner, bool ognl) {
  js::Lexer lexer(inner);
  Token tok, prev, prev2;
  size_t n = 0;
  bool first_ident_global = false;
  while (n < kMaxExprTokens && lexer.next(tok)) {
    if (tok.kind == TokKind::kIdent) {
      std::string_view raw = tok.text;
      if (raw.size() >= 4 && (raw.starts_with("__") || raw.ends_with("__"))) {
        return ExprVerdict{"dunder attribute access in template"};
      }
      if (n == 0 && is_template_global(tok.name())) first_ident_global = true;
      if (n > 0 && prev.kind == TokKind::kInvalid && prev.text == "#" && ognl &&
          is_ognl_variable(tok.name(), lexer, inner)) {
        return ExprVerdict{"OGNL/EL context variable", "el"};
      }
      if (n > 0 && prev.kind == TokKind::kInvalid && prev.text == "@" && ognl) {
        return ExprVerdict{"OGNL static member access", "el"};
      }
      if (n > 0 && prev.is_punct("|") && is_gadget_filter(tok.name())) {
        return ExprVerdict{"template filter gadget"};
      }
    }
    if (tok.is_punct("(") && n > 0) {
      bool callee = (prev.kind == TokKind::kIdent && !is_control_word(prev.name())) ||
                    prev.is_punct(")") || prev.is_punct("]");
      if (callee) return ExprVerdict{"call in template expression"};
    }
    if (n >= 2 && is_operand(tok) && is_arith(prev) && is_operand(prev2) &&
        (tok.kind == TokKind::kNumber || prev2.kind == TokKind::kNumber)) {
      return ExprVerdict{"arithmetic in template expression"};
    }
    if (first_ident_global && n == 1 &&
        (tok.is_punct(".") || tok.is_punct("[") || tok.is_punct("|"))) {
      return ExprVerdict{"template global object access"};
    }
    prev2 = prev;
    prev = tok;
    ++n;
  }
  if (first_ident_global && n == 1) return ExprVerdict{"template global object"};
  return std::nullopt;
}

struct Delimiter {
  std::string_view open;
  std::string_view close;  // empty: single '}' with brace nesting
  bool ognl;
  bool client;  // the `{{ }}` family, also rendered by client-side frameworks
};

constexpr std::array<Delimiter, 12> kDelims = {{
    {"{{", "}}", false, true},
    {"${", "", true, false},
    {"#{", "", true, false},
    {"%{", "", true, false},
    {"*{", "", true, false},
    {"@{", "", false, false},
    {"<%=", "%>", false, false},
    {"<%", "%>", false, false},
    {"{%", "%}", false, false},
    {"@(", ")", false, false},
    {"[[", "]]", false, false},
    {"{=", "}", false, false},
}};

// Finds the end of a `{`-opened expression with brace nesting; returns npos if unterminated.
size_t matching_brace(std::string_view s) {
  int depth = 1;
  for (size_t i = 0; i < s.size() && i < kMaxInner; ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// Jinja/Twig/Django/Liquid statement keywords, for `{% ... %}`.
bool is_statement_tag(std::string_view inner) {
  size_t i = 0;
  while (i < inner.size() && (inner[i] == ' ' || inner[i] == '-' || inner[i] == '+')) ++i;
  size_t j = i;
  while (j < inner.size() && is_alpha(inner[j])) ++j;
  std::string_view w = inner.substr(i, j - i);
  static constexpr std::array<std::string_view, 14> kWords = {
      "for",   "if",    "set",  "import", "from", "include", "extends",
      "macro", "debug", "load", "block",  "call", "with",    "filter"};
  for (auto k : kWords) {
    if (iequals(w, k)) return true;
  }
  return false;
}

// The first bytes of the openers in kDelims, as a table: the scan tests every byte.
constexpr std::array<bool, 256> kOpenerStart = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : std::string_view("{$#%*@<[")) t[c] = true;
  return t;
}();

std::optional<Finding> check_delimiters(std::string_view in, bool client_only, Detector det) {
  size_t examined = 0;
  for (size_t i = 0; i + 1 < in.size() && examined < kMaxOpeners; ++i) {
    if (!kOpenerStart[static_cast<unsigned char>(in[i])]) continue;
    for (const Delimiter& d : kDelims) {
      if (client_only && !d.client) continue;
      if (in.compare(i, d.open.size(), d.open) != 0) continue;
      ++examined;
      std::string_view rest = in.substr(i + d.open.size());
      size_t end = d.close.empty() ? matching_brace(rest) : rest.find(d.close);
      bool closed = end != std::string_view::npos;
      std::string_view inner = rest.substr(0, closed ? end : std::min(rest.size(), kMaxInner));
      if (inner.size() > kMaxInner) inner = inner.substr(0, kMaxInner);
      if (d.open == "{%" && closed && is_statement_tag(inner)) {
        return make_finding(det, "template", "template statement tag", d.open);
      }
      if (auto v = analyse_expression(inner, d.ognl)) {
        // An unterminated `[[`/`@(`/`{=` is too weak a signal on its own.
        if (!closed && (d.open == "[[" || d.open == "@(" || d.open == "{=")) break;
        return make_finding(det, v->context, v->reason, d.open);
      }
      break;  // longest opener at this position wins (`<%=` before `<%`)
    }
  }
  return std::nullopt;
}

// Server-side includes (Apache mod_include): `<!--#exec cmd="id" -->`.
std::optional<Finding> check_ssi(std::string_view in) {
  size_t pos = 0;
  while ((pos = in.find("<!--#", pos)) != std::string_view::npos) {
    pos += 5;
    size_t j = pos;
    while (j < in.size() && is_alpha(in[j])) ++j;
    std::string_view w = in.substr(pos, j - pos);
    static constexpr std::array<std::string_view, 12> kDirectives = {
        "exec",  "include",  "echo", "config", "printenv", "set",
        "fsize", "flastmod", "if",   "elif",   "else",     "endif"};
    for (auto d : kDirectives) {
      if (iequals(w, d))
        return make_finding(Detector::kGeneric, "ssi", "server-side include directive", "<!--#");
    }
  }
  return std::nullopt;
}

// Edge Side Includes (`<esi:include src=...>`), Freemarker directives and Velocity `#set($`.
std::optional<Finding> check_directives(std::string_view in) {
  size_t pos = 0;
  while ((pos = in.find('<', pos)) != std::string_view::npos) {
    std::string_view rest = in.substr(pos + 1);
    if (rest.starts_with('/')) rest.remove_prefix(1);
    if (istarts_with(rest, "esi:") && rest.size() > 4 && is_alpha(rest[4])) {
      return make_finding(Detector::kGeneric, "esi", "edge side include tag", "<esi:");
    }
    if (rest.starts_with('#') &&
        (istarts_with(rest.substr(1), "assign ") || istarts_with(rest.substr(1), "import ") ||
         istarts_with(rest.substr(1), "include "))) {
      return make_finding(Detector::kGeneric, "template", "freemarker directive", "<#");
    }
    ++pos;
  }
  // Smarty (`{php}`, `{$smarty.version}`) and Perl interpolation of code (`@{[ system 'id' ]}`).
  for (std::string_view v : {"{php}", "{$smarty.", "@{["}) {
    if (in.find(v) != std::string_view::npos) {
      return make_finding(Detector::kGeneric, "template", "smarty/perl code interpolation", v);
    }
  }
  for (std::string_view v : {"#set($", "#foreach($", "#if($", "?new("}) {
    if (in.find(v) != std::string_view::npos) {
      return make_finding(Detector::kGeneric, "template", "velocity/freemarker directive", v);
    }
  }
  return std::nullopt;
}

// PHP code (`<?php`, `<?=`, or `<? f(`): an input that a server would include or eval.
std::optional<Finding> check_php(std::string_view in) {
  for (size_t pos = in.find("<?"); pos != std::string_view::npos; pos = in.find("<?", pos + 2)) {
    std::string_view rest = in.substr(pos + 2);
    // `<?php` must be followed by code; the bare tag alone is only a string.
    const bool php_tag = istarts_with(rest, "php") && rest.size() > 4 &&
                         (rest[3] == ' ' || rest[3] == '\t' || rest[3] == '\n' || rest[3] == '\r');
    if (php_tag || (rest.starts_with('=') && rest.size() > 2)) {
      return make_finding(Detector::kGeneric, "php", "PHP open tag", "<?php");
    }
    size_t i = 0;
    while (i < rest.size() &&
           (rest[i] == ' ' || rest[i] == '\t' || rest[i] == '\n' || rest[i] == '\r')) {
      ++i;
    }
    if (i == 0) continue;
    size_t j = i;
    while (j < rest.size() && (is_alpha(rest[j]) || rest[j] == '_')) ++j;
    if (j > i && j < rest.size() && rest[j] == '(') {
      return make_finding(Detector::kGeneric, "php", "PHP short tag with call", "<? f(");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Finding> detect_template_injection(std::string_view decoded) {
  if (decoded.size() < 3) return std::nullopt;
  if (auto f = check_log4j(decoded)) return f;
  if (auto f = check_delimiters(decoded, false, Detector::kGeneric)) return f;
  if (auto f = check_ssi(decoded)) return f;
  if (auto f = check_directives(decoded)) return f;
  return check_php(decoded);
}

std::optional<Finding> detect_client_template_injection(std::string_view decoded) {
  if (decoded.size() < 4) return std::nullopt;
  return check_delimiters(decoded, true, Detector::kXss);
}

}  // namespace portcullis::rules
