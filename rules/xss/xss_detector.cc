#include "rules/xss/xss_detector.h"

#include <array>

#include "rules/base/ascii.h"
#include "rules/generic/js_injection.h"
#include "rules/generic/template_injection.h"
#include "rules/xss/attr_value.h"
#include "rules/xss/html_tokenizer.h"

namespace portcullis::rules {
namespace {

using html::Start;
using html::TokKind;

constexpr size_t kMaxCdataScan = 4096;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && iequals(s.substr(0, p.size()), p);
}

// Tag name equals `want` case-insensitively, ignoring a namespace prefix (`svg:script`) and junk
// after the name that is not a name character (`script\x0B`, `SCRIPT"`).
bool tag_is(std::string_view tag, std::string_view want) {
  size_t colon = tag.rfind(':');
  if (colon != std::string_view::npos) tag = tag.substr(colon + 1);
  // Legacy IE ignored NUL inside names: <scr\0ipt>.
  size_t i = 0, k = 0;
  for (; i < tag.size() && k < want.size(); ++i) {
    if (tag[i] == '\0') continue;
    if (lower(tag[i]) != want[k]) return false;
    ++k;
  }
  if (k < want.size()) return false;
  return i == tag.size() || !is_alnum(tag[i]);
}

// Elements that run script or load active content whatever their attributes.
bool is_always_dangerous_tag(std::string_view tag) {
  static constexpr std::array<std::string_view, 8> kTags = {
      "script", "iframe", "frameset", "style", "import", "vmlframe", "handler", "listener"};
  for (auto t : kTags) {
    if (tag_is(tag, t)) return true;
  }
  return false;
}

// Elements that are dangerous with attributes (src/data/code/href/action/http-equiv...).
bool is_dangerous_with_attrs(std::string_view tag) {
  // `xml`: IE data islands (`<XML SRC=...>`, `<XML ID=I>` feeding DATASRC bindings).
  static constexpr std::array<std::string_view, 12> kTags = {
      "object", "embed", "applet",  "frame",   "base",  "link",
      "meta",   "form",  "isindex", "bgsound", "layer", "xml"};
  for (auto t : kTags) {
    if (tag_is(tag, t)) return true;
  }
  return false;
}

// Event handler attribute names: `on` + at least three letters (onload, onerror, onclick ...).
bool is_handler_name(std::string_view name) {
  size_t colon = name.rfind(':');  // namespaced: x:ontimer, ev:onload
  if (colon != std::string_view::npos) name = name.substr(colon + 1);
  if (name.size() < 5 || lower(name[0]) != 'o' || lower(name[1]) != 'n') return false;
  for (size_t i = 2; i < 5; ++i) {
    if (!is_alpha(name[i])) return false;
  }
  return true;
}

// Handler names that are also ordinary English words, which appear in `word=value` text once an
// input is read as if it had broken out of an attribute. Only a code-like value makes them count.
bool is_common_word(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kWords = {
      "online",  "onset",   "onward",     "onwards", "onion",    "onions",
      "ongoing", "onboard", "onboarding", "onsite",  "onscreen", "onetime"};
  for (auto w : kWords) {
    if (iequals(name, w)) return true;
  }
  return false;
}

bool value_looks_like_code(std::string_view v) {
  return v.find('(') != std::string_view::npos || v.find('`') != std::string_view::npos ||
         html::classify_url(v) != html::UrlVerdict::kSafe;
}

std::string_view context_name(Start s) {
  switch (s) {
    case Start::kData:
      return "html";
    case Start::kAttrDoubleQuoted:
      return "attr-double-quote";
    case Start::kAttrSingleQuoted:
      return "attr-single-quote";
    case Start::kAttrUnquoted:
      return "attr-unquoted";
    case Start::kAttrBackQuoted:
      return "attr-back-quote";
    case Start::kComment:
      return "html-comment";
  }
  return "html";
}

std::optional<Finding> make(std::string_view context, std::string_view reason,
                            std::string_view fp) {
  Finding f;
  f.detector = Detector::kXss;
  f.context = context;
  f.reason = reason;
  f.set_fingerprint(fp);
  return f;
}

// The scheme check for a value whose attribute we do not know (the input began inside it).
bool initial_value_is_script_url(std::string_view v) {
  std::string_view body;
  html::UrlVerdict verdict = html::classify_url(v, &body);
  if (verdict == html::UrlVerdict::kDataHtml) return true;
  if (verdict != html::UrlVerdict::kScript) return false;
  // "javascript:alert(1)" yes; "JavaScript: The Good Parts" no. Decode references in the body
  // first (`alert&lpar;1&rpar;`).
  char buf[512];
  size_t n = 0;
  html::DecodedChars it(body, false);
  int c;
  while ((c = it.next()) >= 0 && n < sizeof(buf)) buf[n++] = static_cast<char>(c < 0x80 ? c : 'x');
  std::string_view code(buf, n);
  while (!code.empty() && (code.front() == ' ' || code.front() == '\t')) code.remove_prefix(1);
  return is_js_call_shape(code) || code.starts_with("//") || code.starts_with("/*");
}

std::optional<Finding> scan(std::string_view in, Start start) {
  html::Tokenizer tz(in, start);
  html::Token tok;
  const std::string_view ctx = context_name(start);
  std::string_view tag;   // current start tag (empty when the attribute came from a break)
  std::string_view attr;  // attribute whose value comes next
  bool first = true;
  size_t budget = 8192;  // tokens per context
  while (budget-- > 0 && tz.next(tok)) {
    const bool initial = first;
    first = false;
    switch (tok.kind) {
      case TokKind::kTagOpen:
        tag = tok.text;
        attr = {};
        if (is_always_dangerous_tag(tag)) return make(ctx, "script-capable element", "<tag");
        break;
      case TokKind::kTagClose:
        if (tag_is(tok.text, "script")) return make(ctx, "</script> break-out", "</tag");
        break;
      case TokKind::kTagEnd:
        tag = {};
        attr = {};
        break;
      case TokKind::kComment:
        // IE conditional comments execute their content: <!--[if IE]><script>...
        if (istarts_with(tok.text, "[if") || istarts_with(tok.text, "[endif")) {
          return make(ctx, "conditional comment", "<!--[if");
        }
        break;
      case TokKind::kPi:
        // <?import> and <?xml:namespace ... implementation=...>: IE HTC behaviours (code).
        // (<?xml-stylesheet?> is left alone: XML documents carry it legitimately.)
        if (istarts_with(tok.text, "import") || istarts_with(tok.text, "xml:namespace")) {
          return make(ctx, "processing instruction loading code", "<?import");
        }
        break;
      case TokKind::kBang:
        break;
      case TokKind::kText:
        break;
      case TokKind::kAttrName:
        attr = tok.text;
        if (tok.from_markup && is_dangerous_with_attrs(tag)) {
          return make(ctx, "active element with attributes", "<tag attr");
        }
        break;
      case TokKind::kAttrValue: {
        if (initial && start != Start::kData) {
          if (initial_value_is_script_url(tok.text)) {
            return make("url-attr", "script URL in attribute value", "=javascript:");
          }
          break;
        }
        if (attr.empty()) break;
        if (is_handler_name(attr)) {
          // In our own tag any handler counts. After a break-out, the value must be there (the
          // break by a quote is explicit enough for `"onzoom=`) and ordinary words need code.
          const bool quoted_break = start == Start::kAttrDoubleQuoted ||
                                    start == Start::kAttrSingleQuoted ||
                                    start == Start::kAttrBackQuoted;
          if (tok.from_markup || value_looks_like_code(tok.text) ||
              (!is_common_word(attr) && (quoted_break || !tok.text.empty()))) {
            return make(ctx, "event handler attribute", "on*=");
          }
        }
        if (iequals(attr, "srcdoc") || iequals(attr, "datasrc") || iequals(attr, "dataformatas")) {
          if (!tok.text.empty()) return make(ctx, "srcdoc/datasrc attribute", "srcdoc=");
        }
        // SVG animation can set a handler or a link target: <set attributeName=onmouseover to=..>
        if (iequals(attr, "attributename") &&
            (is_handler_name(tok.text) || iequals(tok.text, "href") ||
             iequals(tok.text, "xlink:href"))) {
          return make(ctx, "SVG animation of handler/href", "attributeName=");
        }
        if (iequals(attr, "style") && html::is_dangerous_css(tok.text)) {
          return make(ctx, "script in style attribute", "style=");
        }
        if (html::classify_url(tok.text) != html::UrlVerdict::kSafe) {
          return make(ctx, "script URL in attribute", "attr=javascript:");
        }
        // <meta http-equiv=refresh content="0;url=javascript:...">
        {
          html::DecodedChars it(tok.text, true);
          int c, p1 = 0, p2 = 0, p3 = 0;
          while ((c = it.next()) >= 0) {
            if (c == '=' && p1 == 'l' && p2 == 'r' && p3 == 'u') {
              std::string_view rest = tok.text.substr(it.raw_position());
              if (html::classify_url(rest) != html::UrlVerdict::kSafe) {
                return make(ctx, "script URL in refresh", "url=javascript:");
              }
            }
            p3 = p2;
            p2 = p1;
            p1 = c;
          }
        }
        attr = {};
        break;
      }
    }
  }
  return std::nullopt;
}

// Context-free checks that survive parser differentials (mutation XSS, sanitizer bypasses where
// the markup sits inside what a spec parser calls an attribute value): a script-capable element
// opened anywhere, and a script URL anywhere whose body is a call.
std::optional<Finding> scan_raw(std::string_view in) {
  for (size_t pos = in.find('<'); pos != std::string_view::npos; pos = in.find('<', pos + 1)) {
    std::string_view rest = in.substr(pos + 1);
    size_t i = 0;
    while (i < rest.size() && (is_alnum(rest[i]) || rest[i] == ':' || rest[i] == '\0')) ++i;
    if (i > 0 && i < rest.size() &&
        (is_always_dangerous_tag(rest.substr(0, i)) || tag_is(rest.substr(0, i), "iframe"))) {
      return make("html", "script-capable element (raw)", "<tag");
    }
    // An active element with an attribute (`<embed src=`, `<meta http-equiv=`), found where a
    // spec tokenizer saw only an attribute value: an XML attribute or a sanitizer's text that a
    // later decoding step (entity decoding, innerHTML of the value) turns into markup.
    if (i > 0 && i < rest.size() && is_dangerous_with_attrs(rest.substr(0, i))) {
      size_t k = i;
      while (k < rest.size() && (rest[k] == ' ' || rest[k] == '/' || rest[k] == '\t' ||
                                 rest[k] == '\n' || rest[k] == '\r')) {
        ++k;
      }
      size_t name = k;
      while (k < rest.size() && (is_alnum(rest[k]) || rest[k] == '-' || rest[k] == ':')) ++k;
      while (k < rest.size() && (rest[k] == ' ' || rest[k] == '/')) ++k;
      if (k > name && k < rest.size() && rest[k] == '=') {
        return make("html", "active element with attributes (raw)", "<tag attr");
      }
    }
  }
  // Both schemes end in ':': without one in the input no position can match, and a position
  // whose first byte is not the scheme's first letter (any case) cannot either.
  if (in.find(':') == std::string_view::npos) return std::nullopt;
  for (std::string_view scheme : {"javascript:", "vbscript:"}) {
    for (size_t pos = 0; pos + scheme.size() <= in.size(); ++pos) {
      if (lower(in[pos]) != scheme[0] || !istarts_with(in.substr(pos), scheme)) continue;
      std::string_view body = in.substr(pos + scheme.size(), 256);
      size_t close = body.rfind(')');
      while (close != std::string_view::npos) {
        if (is_js_call_shape(body.substr(0, close + 1))) {
          return make("url-attr", "script URL with call", "javascript:");
        }
        close = close == 0 ? std::string_view::npos : body.rfind(')', close - 1);
        if (close != std::string_view::npos && body.size() - close > 64) break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

using ascii::hex_value;

// Evaluates the JavaScript string-literal escapes of `in` into `out` (ECMA-262 sec. 12.9.4:
// \xHH, \uHHHH, \u{H..}, \n \t \r \b \f \v \0, a line continuation, and `\c` for any
// other c). Code points above ASCII become 'x'. Returns the length written.
size_t js_unescape(std::string_view in, char* out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < in.size() && n < cap; ++i) {
    char c = in[i];
    if (c != '\\' || i + 1 >= in.size()) {
      out[n++] = c;
      continue;
    }
    char e = in[++i];
    int cp = -1;
    if (e == 'x' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      cp = hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]);
      i += 2;
    } else if (e == 'u' && i + 1 < in.size() && in[i + 1] == '{') {
      size_t k = i + 2;
      cp = 0;
      while (k < in.size() && hex_value(in[k]) >= 0 && cp <= 0x10FFFF)
        cp = cp * 16 + hex_value(in[k++]);
      if (k < in.size() && in[k] == '}' && k > i + 2) {
        i = k;
      } else {
        cp = 'u';
      }
    } else if (e == 'u' && i + 4 < in.size() && hex_value(in[i + 1]) >= 0 &&
               hex_value(in[i + 2]) >= 0 && hex_value(in[i + 3]) >= 0 &&
               hex_value(in[i + 4]) >= 0) {
      cp = ((hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])) * 16 + hex_value(in[i + 3])) * 16 +
           hex_value(in[i + 4]);
      i += 4;
    } else if (e == '\n' || e == '\r') {
      continue;  // line continuation
    } else {
      switch (e) {
        case 'n':
          cp = '\n';
          break;
        case 't':
          cp = '\t';
          break;
        case 'r':
          cp = '\r';
          break;
        case 'b':
          cp = '\b';
          break;
        case 'f':
          cp = '\f';
          break;
        case 'v':
          cp = '\v';
          break;
        case '0':
          cp = 0;
          break;
        default:
          cp = static_cast<unsigned char>(e);
          break;
      }
    }
    out[n++] = cp < 0x80 ? static_cast<char>(cp) : 'x';
  }
  return n;
}

// A value a script hands to a URL sink (`location = "INPUT"`, `a.href = 'INPUT'`) is a string
// literal first: `\x6A\x61...\x3aalert(1)`, `\u006Aavascript:`, `\j\av\a\s...` and
// `ja\nva\tscript\r:` all evaluate to a javascript: URL (the URL parser drops the tab and
// newlines). Only a call in the URL's body counts, as for the initial attribute value.
std::optional<Finding> js_escaped_script_url(std::string_view in) {
  char buf[1024];
  if (in.size() > sizeof(buf)) return std::nullopt;
  const size_t n = js_unescape(in, buf, sizeof(buf));
  std::string_view body;
  if (html::classify_url(std::string_view(buf, n), &body) != html::UrlVerdict::kScript) {
    return std::nullopt;
  }
  char code[512];
  size_t m = 0;
  for (char c : body) {
    if (m == sizeof(code)) break;
    if (c != '\t' && c != '\n' && c != '\r') code[m++] = c;
  }
  if (!is_js_call_shape(std::string_view(code, m))) return std::nullopt;
  return make("js-string-url", "script URL spelled with JS string escapes", "\\x6a");
}

std::optional<Finding> detect_xss(std::string_view decoded) {
  if (decoded.empty()) return std::nullopt;
  if (decoded.find('\\') != std::string_view::npos) {
    if (auto f = js_escaped_script_url(decoded)) return f;
  }
  static constexpr std::array<Start, 6> kStarts = {
      Start::kData,         Start::kAttrDoubleQuoted, Start::kAttrSingleQuoted,
      Start::kAttrUnquoted, Start::kAttrBackQuoted,   Start::kComment};
  // Exact shortcut: without '<', '=', ':' and '&' the markup checks below cannot fire, so they
  // are skipped (the JS and template checks after them still run). The tokenizer only emits tags,
  // comments, PIs and markup attributes after a '<'; an attribute value other than the initial
  // one needs '='; the initial value is only judged by classify_url(), which needs a scheme's ':'
  // (literal, or spelled as an entity, which needs '&') or "&{". scan_raw() needs '<' or a
  // "javascript:" / "vbscript:" colon, and the CDATA re-scan needs '<'.
  bool markup_bytes = false;
  for (char c : decoded) markup_bytes |= c == '<' || c == '=' || c == ':' || c == '&';
  if (!markup_bytes) {
    if (auto f = detect_js_string_breakout(decoded)) return f;
    if (auto f = detect_js_bare_capability(decoded)) return f;
    return detect_client_template_injection(decoded);
  }
  for (Start s : kStarts) {
    if (auto f = scan(decoded, s)) return f;
  }
  if (auto f = scan_raw(decoded)) return f;
  // XML CDATA sections split markup past filters (`<![CDATA[<]]>SCRIPT<![CDATA[>]]>`); an XML
  // pipeline that renders the text joins it again. Re-scan with the markers removed.
  if (decoded.find("<![CDATA[") != std::string_view::npos && decoded.size() <= kMaxCdataScan) {
    char buf[kMaxCdataScan];
    size_t n = 0;
    for (size_t i = 0; i < decoded.size();) {
      if (decoded.compare(i, 9, "<![CDATA[") == 0) {
        i += 9;
      } else if (decoded.compare(i, 3, "]]>") == 0) {
        i += 3;
      } else {
        buf[n++] = decoded[i++];
      }
    }
    if (auto f = scan(std::string_view(buf, n), Start::kData)) {
      f->context = "xml-cdata";
      return f;
    }
  }
  if (auto f = detect_js_string_breakout(decoded)) return f;
  if (auto f = detect_js_bare_capability(decoded)) return f;
  return detect_client_template_injection(decoded);
}

}  // namespace portcullis::rules
