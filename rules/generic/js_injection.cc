#include "rules/generic/js_injection.h"

#include <array>
#include <cstring>

#include "rules/generic/js_lexer.h"

namespace portcullis::rules {
namespace {

using js::Token;
using js::TokKind;

// Bound on the work per context: long bodies are scanned up to this many tokens, which is far
// more than any payload needs to show its shape.
constexpr size_t kMaxTokens = 4096;

// Names whose call or member access reaches a capability (Node and browser globals).
bool is_capability(std::string_view n) {
  static constexpr std::array<std::string_view, 24> kNames = {
      "require",    "process",     "eval",           "constructor", "child_process", "mainmodule",
      "global",     "globalthis",  "fetch",          "alert",       "prompt",        "confirm",
      "settimeout", "setinterval", "execsync",       "exec",        "spawn",         "spawnsync",
      "execfile",   "console",     "xmlhttprequest", "import",      "location",      "atob"};
  if (n.empty()) return false;
  for (auto w : kNames) {
    if (w.size() == n.size() && w[0] == n[0] && n == w) return true;
  }
  return false;
}

// Browser globals whose everyday calls (getElementById, createElement, scrollTo) are what every
// page script does, so a code snippet pasted into a form is not an attack: a chain from them
// counts only through a sensitive member (document.cookie, document.write, window.open, any
// capability such as window.alert) or a computed member that is not a plain literal
// (top[/al/.source+/ert/.source]).
bool is_global_root(std::string_view n) {
  static constexpr std::array<std::string_view, 7> kRoots = {
      "document", "window", "top", "parent", "frames", "navigator", "content"};
  for (auto w : kRoots) {
    if (w.size() == n.size() && w[0] == n[0] && n == w) return true;
  }
  return false;
}

bool is_sensitive_member(std::string_view n) {
  static constexpr std::array<std::string_view, 9> kMembers = {
      "cookie",      "write",       "writeln",  "domain",    "open",
      "execcommand", "documenturi", "referrer", "sendbeacon"};
  for (auto w : kMembers) {
    if (w.size() == n.size() && w[0] == n[0] && n == w) return true;
  }
  return is_capability(n);
}

// Server-side functions that run commands, evaluate code, include or write files (PHP, Python,
// Java; Ruby's Kernel and Open3 modules), for inputs an application hands to eval() / include / a
// template. Matched on the exact spelling: these languages' names are lower-case, and
// `System.out.println(x)` is Java prose.
bool is_server_capability(std::string_view raw) {
  // ("include" is left out: "include(optional)" is a note.)
  static constexpr std::array<std::string_view, 25> kNames = {"system",
                                                              "passthru",
                                                              "shell_exec",
                                                              "popen",
                                                              "proc_open",
                                                              "pcntl_exec",
                                                              "assert",
                                                              "create_function",
                                                              "call_user_func",
                                                              "phpinfo",
                                                              "file_put_contents",
                                                              "file_get_contents",
                                                              "scandir",
                                                              "include_once",
                                                              "require_once",
                                                              "highlight_file",
                                                              "show_source",
                                                              "__import__",
                                                              "subprocess",
                                                              "call_user_func_array",
                                                              "getRuntime",
                                                              "ProcessBuilder",
                                                              "pickle",
                                                              "Kernel",
                                                              "Open3"};
  if (raw.empty()) return false;
  for (auto w : kNames) {
    if (w.size() == raw.size() && w[0] == raw[0] && raw == w) return true;
  }
  return false;
}

// A member name spelled inside a string literal (`"alert"`), lower-cased like identifiers, for
// the name lists above (ASCII letters and '_' only; escapes are not decoded, so a name needing
// them is not matched). Empty when it cannot be such a name.
std::string_view member_spelling(std::string_view raw, char (&buf)[16]) {
  if (raw.empty() || raw.size() > sizeof(buf)) return {};
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || c == '_')) return {};
    buf[i] = c;
  }
  return std::string_view(buf, raw.size());
}

struct Shape {
  bool valid = true;
  bool tail_ok = true;       // the sink's trailing code is neutralised or re-balanced
  bool call = false;         // callee( ... ) in code position
  bool capability = false;   // a capability name is called or dereferenced
  bool server_call = false;  // a server-side code-execution function is called
  bool logical = false;      // || && ?? or a comparison operator
  bool structure = false;    // ; ) } ] , outside literals
  bool ends_in_comment = false;
  bool or_seen = false;       // a `||` so far
  bool or_tautology = false;  // `|| <lit> == <same lit>` (or ===): `5 || 1 === 1`
  size_t tokens = 0;
  char fp[Finding::kMaxFingerprint + 1] = {};
  size_t fp_len = 0;
};

char fp_char(const Token& t) {
  switch (t.kind) {
    case TokKind::kIdent:
      return js::is_prefix_keyword(t.text) ? 'k' : 'i';
    case TokKind::kNumber:
      return 'n';
    case TokKind::kString:
      return 's';
    case TokKind::kTemplate:
      return 't';
    case TokKind::kComment:
      return 'c';
    case TokKind::kInvalid:
      return 'x';
    case TokKind::kPunct:
      if (t.text.size() == 1) return t.text[0];
      if (t.text == "||" || t.text == "&&" || t.text == "??") return '&';
      return 'o';
  }
  return '?';
}

// Analyse `code` as the JS that follows the input's entry point. `quote` is the literal kind the
// input sat in (0 for bare).
Shape analyse(std::string_view code, char quote) {
  Shape s;
  js::Lexer lexer(code);
  Token tok;
  Token prev;
  bool have_prev = false;
  // In a quoted context the literal the input just closed is itself an operand: `'x' y` is not JS.
  bool prev_is_operand = quote != 0;
  bool prev_is_member_dot = false;    // previous token was `.` or `?.`
  bool chain_has_capability = false;  // current member chain mentions a capability
  bool chain_has_server = false;      // ... a server-side capability (is_server_capability)
  bool chain_root = false;            // the chain starts at a browser global (is_global_root)
  int root_index = 0;           // 1: the last token is the '[' of such a chain; 2: then a literal
  bool dynamic_callee = false;  // the last token is a PHP variable ($f, $$f)
  int depth = 0;
  // For each open '(' (bounded): whether it is a statement head `if (` / `while (` / `for (`,
  // after which an operand may follow the ')'.
  uint64_t head_parens = 0;
  int paren_depth = 0;
  bool after_head_paren = false;
  char lhs_buf[32];
  size_t lhs_len = 0;
  bool have_lhs = false;
  while (s.tokens < kMaxTokens && lexer.next(tok)) {
    ++s.tokens;
    if (s.fp_len < Finding::kMaxFingerprint) s.fp[s.fp_len++] = fp_char(tok);
    s.ends_in_comment = tok.kind == TokKind::kComment;
    if (tok.kind == TokKind::kComment) continue;  // comments are transparent
    if (tok.kind == TokKind::kInvalid) {
      s.valid = false;
      return s;
    }
    if (root_index == 2) {
      // `top[8680439..toString(30)]`: the literal must close the index.
      root_index = 0;
      if (!tok.is_punct("]")) s.capability = true;
    } else if (root_index == 1) {
      // `window[x]`, `top[/al/.source+/ert/.source]`, `top['al\x65rt']`: a computed member of a
      // browser global is only ordinary with a plain literal index (`frames[0]`,
      // `document["title"]`); escapes in it only hide the name.
      root_index = 0;
      const bool plain_string =
          tok.kind == TokKind::kString && tok.text.find('\\') == std::string_view::npos;
      if (plain_string || tok.kind == TokKind::kNumber) {
        root_index = 2;
      } else {
        s.capability = true;
      }
    }
    const bool is_ident = tok.kind == TokKind::kIdent;
    const bool prefix_kw = is_ident && js::is_prefix_keyword(tok.text);
    const bool infix_kw = is_ident && js::is_infix_keyword(tok.text);
    const bool operand_start = (is_ident && !infix_kw) || tok.kind == TokKind::kNumber ||
                               tok.kind == TokKind::kString || tok.kind == TokKind::kTemplate;
    // Two operands in a row ("said hello", "5 apples") are a syntax error unless a line break
    // lets automatic semicolon insertion separate them (sec. 12.10).
    const bool tagged_template = tok.kind == TokKind::kTemplate && !tok.unterminated && have_prev &&
                                 prev.kind == TokKind::kIdent && !js::is_prefix_keyword(prev.text);
    if (operand_start && prev_is_operand && !tok.newline_before && !tagged_template) {
      s.valid = false;
      return s;
    }
    if ((tok.kind == TokKind::kString || tok.kind == TokKind::kTemplate) && tok.unterminated) {
      // Only the last token may be open, and only with the sink's own quote, which closes it.
      if (quote == 0 || tok.quote != quote) {
        s.valid = false;
        return s;
      }
    }
    if (tagged_template) {
      s.call = true;  // tagged template: alert`1`
      if (chain_has_capability) s.capability = true;
      prev_is_operand = false;  // the tag and its template form one operand
    }
    // `self["alert"](1)`, `x["document"]["cookie"]`: a computed member named by a string is the
    // same member as `.alert`.
    const bool string_member = tok.kind == TokKind::kString && !tok.unterminated && have_prev &&
                               prev.is_punct("[") && tok.text.size() >= 2;
    if (string_member) {
      char buf[16];
      const std::string_view name = member_spelling(tok.text.substr(1, tok.text.size() - 2), buf);
      if (is_capability(name)) chain_has_capability = true;
      // `(document)["cookie"]`: a sensitive member of a browser global spelled as a string is
      // already the obfuscated access.
      if (chain_root && is_sensitive_member(name)) {
        chain_has_capability = true;
        s.capability = true;
      }
    }
    if (is_ident) {
      if (prev_is_member_dot) {
        if (is_server_capability(tok.text)) chain_has_server = true;
      } else {
        chain_has_server = is_server_capability(tok.text);
      }
    }
    if (is_ident) {
      if (prev_is_member_dot) {
        if (is_capability(tok.name()) || (chain_root && is_sensitive_member(tok.name()))) {
          chain_has_capability = true;
        }
      } else {
        chain_has_capability = is_capability(tok.name());
        chain_root = is_global_root(tok.name());
        // `Function` with a capital F is the constructor; `function` is the keyword.
        if (tok.text == "Function") chain_has_capability = true;
      }
    }
    if (tok.kind == TokKind::kPunct) {
      const std::string_view p = tok.text;
      if (p == "(" || p == "[" || p == "{") {
        const bool callee =
            have_prev && ((prev.kind == TokKind::kIdent &&
                           (!js::is_prefix_keyword(prev.text) || prev.text == "import")) ||
                          prev.is_punct(")") || prev.is_punct("]"));
        if (p == "(" && callee) {
          s.call = true;
          if (chain_has_capability) s.capability = true;
          // PHP calls the function a variable names: `$f(1)`, `$$b(2)`, the web-shell idiom.
          if (chain_has_server || (dynamic_callee && prev.kind == TokKind::kIdent)) {
            s.server_call = true;
          }
        }
        if (p == "[" && chain_has_capability) s.capability = true;
        if (p == "[" && chain_root && !chain_has_capability) root_index = 1;
        if (p == "(") {
          const bool head = have_prev && prev.kind == TokKind::kIdent &&
                            (prev.text == "if" || prev.text == "while" || prev.text == "for" ||
                             prev.text == "with");
          if (paren_depth >= 0 && paren_depth < 64) {
            head_parens = head ? (head_parens | (uint64_t{1} << paren_depth))
                               : (head_parens & ~(uint64_t{1} << paren_depth));
          }
          ++paren_depth;
        }
        ++depth;
      } else if (p == ")" || p == "]" || p == "}") {
        --depth;
        if (p == ")") {
          --paren_depth;
          after_head_paren =
              paren_depth >= 0 && paren_depth < 64 && (head_parens >> paren_depth & 1) != 0;
        }
        s.structure = true;
        // Bare input cannot close brackets it did not open.
        if (quote == 0 && depth < 0) {
          s.valid = false;
          return s;
        }
      } else if (p == ";" || p == ",") {
        s.structure = true;
      } else if (p == "||" || p == "&&" || p == "??" || p == "===" || p == "!==" || p == "==" ||
                 p == "!=") {
        s.logical = true;
        if (p == "||") s.or_seen = true;
      }
    }
    // `<lit> == <lit>` with equal spellings after an `||`: the numeric-context tautology
    // (`5 || 1 === 1`), JavaScript's `1 OR 1=1`.
    const bool literal =
        (tok.kind == TokKind::kNumber || tok.kind == TokKind::kString) && !tok.unterminated;
    if (literal && s.or_seen && have_prev && (prev.is_punct("===") || prev.is_punct("==")) &&
        have_lhs && lhs_len == tok.text.size() && std::string_view(lhs_buf, lhs_len) == tok.text) {
      s.or_tautology = true;
    }
    // The literal before an equality operator, kept (bounded) for the check above.
    if (literal && tok.text.size() <= sizeof(lhs_buf)) {
      for (size_t i = 0; i < tok.text.size(); ++i) lhs_buf[i] = tok.text[i];
      lhs_len = tok.text.size();
      have_lhs = true;
    } else if (!(tok.is_punct("===") || tok.is_punct("=="))) {
      have_lhs = false;
    }
    prev_is_member_dot = tok.is_punct(".") || tok.is_punct("?.");
    if (!(is_ident || prev_is_member_dot || string_member || tok.is_punct("(") ||
          tok.is_punct(")") || tok.is_punct("[") || tok.is_punct("]"))) {
      chain_has_capability = false;
      chain_has_server = false;
      chain_root = false;
    }
    // `$` alone is jQuery's function; `$f` and `$$f` are PHP variables, whose names never start
    // with a digit ("$25 (USD)" is a price).
    if (is_ident && !prev_is_member_dot && tok.text.size() >= 2 && tok.text[0] == '$') {
      const size_t k = tok.text.find_first_not_of('$');
      dynamic_callee = k != std::string_view::npos && !(tok.text[k] >= '0' && tok.text[k] <= '9');
    } else {
      dynamic_callee = false;
    }
    prev_is_operand = (operand_start && !prefix_kw) || tok.is_punct(")") || tok.is_punct("]");
    // `if (x) y` is fine: the ')' of a statement head may be followed by a statement.
    if (tok.is_punct(")") && after_head_paren) prev_is_operand = false;
    prev = tok;
    have_prev = true;
  }
  // Brackets the input opened but never closed make the sink's code unparsable, unless a comment
  // or open literal swallows the remainder.
  const bool open_literal_tail = have_prev && prev.unterminated;
  if (quote == 0) {
    s.tail_ok = depth <= 0;
  } else {
    s.tail_ok = s.ends_in_comment || open_literal_tail;
    if (depth > 0 && !s.ends_in_comment) s.tail_ok = false;
  }
  return s;
}

// The XSS detector (bare capability) and the generic detector (JS injection) both analyse the
// whole input as bare JS, one after the other on the same decoded text. The last bare analysis
// is kept per thread, keyed by a copy of the text's bytes (so a reused buffer cannot alias) and
// returned for the same bytes: analyse() is a pure function of them.
Shape analyse_bare(std::string_view code) {
  struct Memo {
    size_t len = static_cast<size_t>(-1);
    char text[1024];
    Shape shape;
  };
  static thread_local Memo memo;
  if (code.size() > sizeof(memo.text)) return analyse(code, 0);
  if (memo.len == code.size() && std::memcmp(memo.text, code.data(), code.size()) == 0) {
    return memo.shape;
  }
  memo.shape = analyse(code, 0);
  memo.len = code.size();
  std::memcpy(memo.text, code.data(), code.size());
  return memo.shape;
}

std::optional<Finding> make(Detector d, std::string_view context, std::string_view reason,
                            const Shape& s) {
  return make_finding(d, context, reason, {s.fp, s.fp_len});
}

std::string_view quote_context(char q) {
  return q == '\'' ? "js-single-quote" : q == '"' ? "js-double-quote" : "js-template";
}

// The input as the content of a q-quoted literal: the first q closes it.
std::optional<Finding> check_quoted(std::string_view input, char q, Detector d, bool call_only) {
  size_t brk = input.find(q);
  if (brk == std::string_view::npos) return std::nullopt;
  Shape s = analyse(input.substr(brk + 1), q);
  if (!s.valid || !s.tail_ok || s.tokens == 0) return std::nullopt;
  if (s.call) return make(d, quote_context(q), "call after string break-out", s);
  if (call_only) return std::nullopt;
  if (s.logical) return make(d, quote_context(q), "boolean logic after string break-out", s);
  if (s.structure && s.ends_in_comment) {
    return make(d, quote_context(q), "statement break-out ended by a comment", s);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Finding> detect_js_injection(std::string_view decoded) {
  if (decoded.empty()) return std::nullopt;
  for (char q : {'\'', '"', '`'}) {
    if (auto f = check_quoted(decoded, q, Detector::kGeneric, false)) return f;
  }
  Shape s = analyse_bare(decoded);
  if (s.valid && s.tail_ok && s.capability) {
    return make(Detector::kGeneric, "js-bare", "capability call in valid JS", s);
  }
  if (s.valid && s.tail_ok && s.server_call) {
    return make(Detector::kGeneric, "code-bare", "code-execution call in valid code", s);
  }
  if (s.valid && s.tail_ok && s.or_tautology) {
    return make(Detector::kGeneric, "js-bare", "boolean tautology in valid JS", s);
  }
  return std::nullopt;
}

bool is_js_call_shape(std::string_view code) {
  Shape s = analyse(code, 0);
  return s.valid && s.tail_ok && s.call;
}

std::optional<Finding> detect_js_bare_capability(std::string_view decoded) {
  Shape s = analyse_bare(decoded);
  if (s.valid && s.tail_ok && s.capability) {
    return make(Detector::kXss, "js-bare", "capability call in valid JS", s);
  }
  return std::nullopt;
}

std::optional<Finding> detect_js_string_breakout(std::string_view decoded) {
  for (char q : {'\'', '"'}) {
    if (auto f = check_quoted(decoded, q, Detector::kXss, true)) return f;
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
