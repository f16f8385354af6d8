#include "rules/inspect/prefilter.h"

#include <array>
#include <cstring>

#include "rules/generic/deserialization.h"
#include "rules/shell/shell_detector.h"
#include "rules/sqli/sql_keywords.h"

namespace portcullis::rules {
namespace {

// Byte classes, one bit each; a text's mask is the OR over its bytes.
enum : uint64_t {
  kLt = 1ull << 0,          // <
  kGt = 1ull << 1,          // >
  kEq = 1ull << 2,          // =
  kColon = 1ull << 3,       // :
  kAmp = 1ull << 4,         // &
  kBracket = 1ull << 5,     // [
  kBrace = 1ull << 6,       // {
  kParen = 1ull << 7,       // (
  kBacktick = 1ull << 8,    // `
  kSQuote = 1ull << 9,      // '
  kDQuote = 1ull << 10,     // "
  kDollar = 1ull << 11,     // $
  kPipe = 1ull << 12,       // |
  kSemi = 1ull << 13,       // ;
  kBang = 1ull << 14,       // !
  kSlash = 1ull << 15,      // /
  kBackslash = 1ull << 16,  // '\'
  kTilde = 1ull << 17,      // ~
  kNul = 1ull << 18,        // NUL
  kQuestion = 1ull << 19,   // ?
  kHash = 1ull << 20,       // #
  kSsrfStop = 1ull << 21,   // bytes that end a bare host for the ssrf detector: space-ish @ " ' < >
  kNotWord = 1ull << 22,    // not [A-Za-z0-9_]
  kNotDigit = 1ull << 23,   // not [0-9]
  kNotShellWord = 1ull << 24,   // not [A-Za-z0-9_.@-]
  kNotBase64 = 1ull << 25,      // not [A-Za-z0-9+/=_-] (path detector's base64 alphabet)
  kNotSqlProse = 1ull << 26,    // not [A-Za-z0-9_ ,!-] (plain text and codes, see sqli_may_fire)
  kDot = 1ull << 27,            // .
  kPercent = 1ull << 28,        // %
  kHigh = 1ull << 29,           // >= 0x80 (UTF-8 lead or continuation byte)
  kZero = 1ull << 30,           // 0 (of "0x2f" / "0x5c" spelled separators)
  kNotShellProse = 1ull << 31,  // not [A-Za-z0-9_,.!@] or a blank (see shell_may_fire_on_words)
  kUnderscore = 1ull << 32,     // _
  kProtoPunct = 1ull << 33,     // . [ ] " ' : { / (path punctuation of "constructor.prototype")
  kLineBreak = 1ull << 34,      // CR or LF
};

constexpr bool is_alnum(unsigned c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr std::array<uint64_t, 256> make_table() {
  std::array<uint64_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    uint64_t m = 0;
    switch (c) {
      case '<':
        m = kLt | kSsrfStop;
        break;
      case '>':
        m = kGt | kSsrfStop;
        break;
      case '=':
        m = kEq;
        break;
      case ':':
        m = kColon;
        break;
      case '&':
        m = kAmp;
        break;
      case '[':
        m = kBracket;
        break;
      case '{':
        m = kBrace;
        break;
      case '(':
        m = kParen;
        break;
      case '`':
        m = kBacktick;
        break;
      case '\'':
        m = kSQuote | kSsrfStop;
        break;
      case '"':
        m = kDQuote | kSsrfStop;
        break;
      case '$':
        m = kDollar;
        break;
      case '|':
        m = kPipe;
        break;
      case ';':
        m = kSemi;
        break;
      case '!':
        m = kBang;
        break;
      case '/':
        m = kSlash;
        break;
      case '\\':
        m = kBackslash;
        break;
      case '~':
        m = kTilde;
        break;
      case 0:
        m = kNul | kSsrfStop;
        break;
      case '?':
        m = kQuestion;
        break;
      case '#':
        m = kHash;
        break;
      case '.':
        m = kDot;
        break;
      case '%':
        m = kPercent;
        break;
      case '0':
        m = kZero;
        break;
      case '@':
        m = kSsrfStop;
        break;
      case '\n':
      case '\r':
        m = kSsrfStop | kLineBreak;
        break;
      case ' ':
      case '\t':
      case '\v':
      case '\f':
        m = kSsrfStop;
        break;
      default:
        break;
    }
    if (!is_alnum(c) && c != '_') m |= kNotWord;
    if (c < '0' || c > '9') m |= kNotDigit;
    if (c >= 0x80) m |= kHigh;
    if (c == '_') m |= kUnderscore;
    if (c == '.' || c == '[' || c == ']' || c == '"' || c == '\'' || c == ':' || c == '{' ||
        c == '/') {
      m |= kProtoPunct;
    }
    if (!is_alnum(c) && c != '_' && c != ',' && c != '.' && c != '!' && c != '@' && c != ' ' &&
        c != '\t' && c != '\r' && c != '\f' && c != '\v') {
      m |= kNotShellProse;
    }
    if (!is_alnum(c) && c != '_' && c != '.' && c != '@' && c != '-') m |= kNotShellWord;
    if (!is_alnum(c) && c != '+' && c != '/' && c != '=' && c != '_' && c != '-') m |= kNotBase64;
    if (!is_alnum(c) && c != '_' && c != ' ' && c != ',' && c != '!' && c != '-') {
      m |= kNotSqlProse;
    }
    t[c] = m;
  }
  return t;
}

constexpr std::array<uint64_t, 256> kTable = make_table();

bool contains(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}

// --- Per-detector rules. Each returns true when the detector MAY fire. -------------------------

// sqli (rules/sqli): a text that is one run of [A-Za-z0-9_] is a single token. All digits: one
// number. Starting with a letter or '_': one word, which classify_sql_word() names; when it is a
// plain bareword (no keyword, function, operator word or statement), the stream is one operand
// and no embedding applies but the bare one (no quote, no backslash). A lone operand has no
// structure: no call (needs '('), no logic, comparison, comment, ';', UNION or statement keyword,
// so every decision path of analyze_sqli_tokens() ends in a pass. Anything else runs the detector.
//
// Plain text and codes ("red shoes", "Leave at the door, thanks!", "A-12"): only [A-Za-z0-9_],
// ' ', ',', '!' and '-', without "--". No quote or backslash, so only the bare embedding runs.
// Without '$', '.', bytes >= 0x80 or quotes, a token is exactly one maximal [A-Za-z0-9_] run (no
// string prefix N'..' / _utf8'..', no qualified name), or one of ',' (kComma), '!' (kNot: every
// other "!x" operator needs = < > ~) and '-' (kOperator "-": "->" needs '>', "--" is excluded).
// A run of digits only is one number (no '.', no exponent sign, nothing word-like after it); a
// run starting with a letter or '_' is a word typed by classify_sql_word(), and with no '(' it is
// never a call. A run starting with a digit and holding letters goes through number scanning
// ("1union" is two tokens): the detector runs. When every word is a plain bareword, the stream
// holds only barewords, numbers, ',', '!' and '-', and analyze_sqli_tokens() has nothing to flag
// on: find_dangerous_call() needs a function, find_union_statement() a set operation or logic
// token, the subquery rules '(', and the main parse only flags after a dangerous call, a
// statement, ';', UNION, a clause / ORDER / GROUP / END / CASE keyword, a function or variable,
// a logic operator, or a trailing comment; stop() flags only after a logic operator. None of
// those tokens can occur.
bool sqli_prose_is_silent(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '-' && i + 1 < n && s[i + 1] == '-') return false;  // "--" comment
    if (c == ' ' || c == ',' || c == '!' || c == '-') {
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool digits = c >= '0' && c <= '9';
    for (; j < n && (kTable[static_cast<unsigned char>(s[j])] & kNotWord) == 0; ++j) {
      digits = digits && (kTable[static_cast<unsigned char>(s[j])] & kNotDigit) == 0;
    }
    if (digits) {
      i = j;
      continue;
    }
    if (c >= '0' && c <= '9') return false;
    SqlWordClass wc = classify_sql_word(s.substr(i, j - i));
    if (wc.type != SqlTokenType::kBareword || wc.keyword != SqlKeyword::kNone) return false;
    i = j;
  }
  return true;
}

bool sqli_may_fire(std::string_view s, uint64_t m) {
  if (s.empty()) return false;  // detect_sqli returns nothing for empty input
  if ((m & kNotWord) != 0) return (m & kNotSqlProse) != 0 || !sqli_prose_is_silent(s);
  if ((m & kNotDigit) == 0) return false;
  const unsigned char c0 = static_cast<unsigned char>(s[0]);
  if (c0 >= '0' && c0 <= '9') return true;  // "3pm", "0x41": number scanning rules; run it
  SqlWordClass wc = classify_sql_word(s);
  return !(wc.type == SqlTokenType::kBareword && wc.keyword == SqlKeyword::kNone);
}

// shell (rules/shell): without blanks, operators, quotes, '$', '`', '%', '<', '{', '#', '~', '/'
// or glob characters the text is one word of one simple command with no separator before it.
// standalone_constructs() needs '<' or '%'; the single- and double-quote contexts need ', ", $ or
// `. For that lone word evaluate() sees n == 1: cmd_exe_statement() needs two words, "sleep" and
// the prefix-word and command-line rules need an argument, and the executable-path rule needs a
// '/' or a glob. So only texts outside [A-Za-z0-9_.@-] can fire. Plain prose ("gift wrap
// please") only fires when its first word can start a command line: shell_may_fire_on_words()
// states that proof next to the detector.
// Other texts without shell quoting, expansion, redirection, globs or comments (user agents,
// prose with punctuation) fire only when one of their words can name a command:
// shell_may_fire_on_commands() states that proof.
bool shell_may_fire(std::string_view s, uint64_t m) {
  if ((m & kNotShellWord) == 0) return false;
  if ((m & kNotShellProse) == 0) return shell_may_fire_on_words(s);
  return shell_may_fire_on_commands(s);
}

// path (rules/path): detect_plain() fires on NUL truncation, a scheme (':'), a UNC path ('\'), a
// drive (':'), '~', or a walk that needs a separator ('/', '\' or the literal "0x2f"/"0x5c"),
// except the inferred-separator walk, which needs two leading dots (".." or with '?' or "0x2e").
// Without any of those, every token returns before a Finding. The base64 retry only decodes a
// text of >= 8 bytes, a multiple of 4, all in the base64 alphabet: such texts always run.
bool path_may_fire(std::string_view s, uint64_t m) {
  if ((m & (kSlash | kBackslash | kColon | kTilde | kNul | kQuestion)) != 0) return true;
  if ((m & kDot) != 0 && contains(s, "..")) return true;
  if ((m & kZero) != 0 && (contains(s, "0x") || contains(s, "0X"))) return true;
  return s.size() >= 8 && s.size() % 4 == 0 && (m & kNotBase64) == 0;
}

// ssrf (rules/ssrf): a URL needs ':' (scheme) or a leading "//"; without ':', '/', '\', '?', '#'
// the whole trimmed text is judged as a bare host (HostMode::kBare), which check_whole_input()
// refuses when it holds a space, NUL, '@', a quote, '<' or '>'. Texts shorter than 2 bytes after
// trimming never fire. For the rest, classify_host() lowercases the text and only changes it
// further through '%' (percent-decoding) or bytes >= 0x80 (UTS #46 folding); a '[' opens the
// IPv6 branch. Without those it is an ASCII name with no ':' (no port, no IPv6), and a bare name
// fires only as a 4-part dotted IPv4 (needs '.') or through classify_name(): every list entry and
// zone suffix that a bare host can match holds a '.', except the single-label loopback names
// (localhost, localhost4/6, ip6-/ipv6-localhost, ip6-/ipv6-loopback, loopback), which all hold
// "lo" (any case). The single-label metadata and rebinding names apply to URLs only.
bool ssrf_bare_name_may_fire(std::string_view s, uint64_t inner) {
  if ((inner & (kDot | kPercent | kHigh | kBracket)) != 0) return true;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if ((s[i] | 0x20) == 'l' && (s[i + 1] | 0x20) == 'o') return true;
  }
  return false;
}

// With '/', '\\', '?' or '#' but no ':', the embedded-URL scan (which looks for "scheme:") has
// nothing to look at, and check_whole_input() either sees a scheme-relative "//host" (run the
// detector) or judges as a bare host the text before the first of those bytes: empty (a path
// such as "/search/results": judge() refuses an empty host) or a name the rule above decides.
bool ssrf_may_fire(std::string_view s, uint64_t m) {
  if ((m & kColon) != 0) return true;
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  if (s.size() < 2) return false;
  auto is_slash = [](char c) { return c == '/' || c == '\\'; };
  if (is_slash(s[0]) && is_slash(s[1])) return true;
  size_t end = 0;
  while (end < s.size() && s[end] != '/' && s[end] != '?' && s[end] != '#' && s[end] != '\\') {
    ++end;
  }
  std::string_view authority = s.substr(0, end);
  if (authority.empty()) return false;
  uint64_t inner = 0;
  for (unsigned char c : authority) inner |= kTable[c];
  return (inner & kSsrfStop) == 0 && ssrf_bare_name_may_fire(authority, inner);
}

// nosql value (rules/objects): an operator value starts with '$'; a $where break-out needs a
// quote; JS condition/statement contexts need "||", "&&", ';', or "this.x" followed by ( < > ==
// != (a '!' only counts in "!=", so it needs '='); "function" needs '('; a mongo shell call
// "db.x(" needs '('.
bool nosql_may_fire(uint64_t m) {
  return (m & (kDollar | kSQuote | kDQuote | kPipe | kAmp | kSemi | kParen | kLt | kGt | kEq)) != 0;
}

// proto value (rules/objects): "__proto__" needs '_' and 9 bytes; "constructor" then
// "prototype" needs at least one path punctuation byte other than a blank between them (and 20
// bytes). Shorter texts return before scanning.
bool proto_may_fire(std::string_view s, uint64_t m) {
  return s.size() >= 9 && (m & (kUnderscore | kProtoPunct)) != 0;
}

// xss (rules/xss): markup needs '<' (tags, comments, PIs, CDATA, raw <script); after an attribute
// break-out a value needs '=' (handlers, srcdoc, style, URLs, refresh); the initial attribute
// value is only a script/data URL with ':' (or an entity, '&', spelling it, or "&{"); a
// conditional comment needs '['; JS break-outs need a quote; a bare capability call needs '(',
// '[' or a tagged template '`'; client-side templates need "{{".
bool xss_may_fire(uint64_t m) {
  return (m & (kLt | kEq | kColon | kAmp | kBracket | kBrace | kParen | kBacktick | kSQuote |
               kDQuote)) != 0;
}

// generic (rules/generic): XML entities/XInclude/XSLT need '<' (or the XInclude namespace URL,
// ':'); every template delimiter and directive holds '{', '(', '[' or '<' (log4j "${", SSI
// "<!--#", PHP "<?"); JS injection needs a quote to break out of, or '(', '[' or '`' for a call.
// Header injection needs a CR or LF; LDAP filter injection needs '(' (already in the set); a format
// string needs '%'; deserialization needs ':' and '"' (PHP) or starts with a Java/.NET magic (or
// has it after a quote, ':' or '>' whose XML needs '<'); an open redirect needs ':' (a scheme)
// or, for a scheme-relative target, two leading '/' or '\\'.
bool generic_may_fire(std::string_view s, uint64_t m) {
  if ((m & (kLt | kBrace | kParen | kBracket | kBacktick | kSQuote | kDQuote | kColon | kLineBreak |
            kPercent)) != 0) {
    return true;
  }
  if (starts_with_serialization_magic(s)) return true;
  // The bare JS tautology (`5 || 1 === 1`) needs "||" and '='.
  if ((m & kPipe) != 0 && (m & kEq) != 0) return true;
  if ((m & (kSlash | kBackslash)) == 0) return false;
  size_t i = 0;
  while (i < s.size() && static_cast<unsigned char>(s[i]) <= 0x20) ++i;
  if (i >= s.size() || (s[i] != '/' && s[i] != '\\')) return false;
  ++i;
  while (i < s.size() && s[i] == '\t') ++i;  // WHATWG URL parsing drops tabs: `/<TAB>/host`
  return i < s.size() && (s[i] == '/' || s[i] == '\\');
}

}  // namespace

DetectorSet prefilter_detectors(std::string_view s, DetectorSet candidates) {
  uint64_t m = 0;
  for (unsigned char c : s) m |= kTable[c];
  DetectorSet out = candidates;
  // Only the candidates are examined: some rules classify words, which costs more than a mask.
  auto keep = [&](Detector d, auto&& may) {
    if ((out & detector_bit(d)) != 0 && !may()) out &= static_cast<DetectorSet>(~detector_bit(d));
  };
  keep(Detector::kSqli, [&] { return sqli_may_fire(s, m); });
  keep(Detector::kShell, [&] { return shell_may_fire(s, m); });
  keep(Detector::kPath, [&] { return path_may_fire(s, m); });
  keep(Detector::kSsrf, [&] { return ssrf_may_fire(s, m); });
  keep(Detector::kNosql, [&] { return nosql_may_fire(m); });
  keep(Detector::kProto, [&] { return proto_may_fire(s, m); });
  keep(Detector::kXss, [&] { return xss_may_fire(m); });
  keep(Detector::kGeneric, [&] { return generic_may_fire(s, m); });
  return out;
}

}  // namespace portcullis::rules
