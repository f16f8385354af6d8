#include "rules/xss/attr_value.h"

#include <array>

#include "rules/base/ascii.h"

namespace portcullis::rules::html {
namespace {

struct Named {
  std::string_view name;
  unsigned cp;
};

// Named references seen in XSS filter evasion (HTML sec. 13.5), enough for URL schemes and CSS.
constexpr std::array<Named, 24> kNamed = {{
    {"colon", ':'}, {"tab", '\t'},   {"newline", '\n'}, {"lpar", '('},  {"rpar", ')'},
    {"quot", '"'},  {"apos", '\''},  {"amp", '&'},      {"lt", '<'},    {"gt", '>'},
    {"sol", '/'},   {"bsol", '\\'},  {"period", '.'},   {"comma", ','}, {"semi", ';'},
    {"num", '#'},   {"excl", '!'},   {"equals", '='},   {"plus", '+'},  {"lowbar", '_'},
    {"grave", '`'}, {"lbrace", '{'}, {"rbrace", '}'},   {"nbsp", ' '},
}};

using ascii::hex_value;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool decode_reference(std::string_view v, size_t i, unsigned& cp, size_t& len) {
  if (i >= v.size() || v[i] != '&') return false;
  size_t j = i + 1;
  if (j < v.size() && v[j] == '#') {
    ++j;
    bool hex = j < v.size() && (v[j] == 'x' || v[j] == 'X');
    if (hex) ++j;
    size_t digits_start = j;
    unsigned value = 0;
    while (j < v.size()) {
      int d = hex ? hex_value(v[j]) : (v[j] >= '0' && v[j] <= '9' ? v[j] - '0' : -1);
      if (d < 0) break;
      if (value < 0x110000) value = value * (hex ? 16 : 10) + static_cast<unsigned>(d);
      ++j;
    }
    if (j == digits_start) return false;
    if (j < v.size() && v[j] == ';') ++j;
    cp = value < 0x80 ? value : 0xFFFD;
    len = j - i;
    return true;
  }
  for (const Named& n : kNamed) {
    if (v.size() - j < n.name.size()) continue;
    bool match = true;
    for (size_t k = 0; k < n.name.size(); ++k) {
      if (lower(v[j + k]) != n.name[k]) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    size_t end = j + n.name.size();
    if (end < v.size() && v[end] == ';') {
      ++end;
    } else if (n.name != "lt" && n.name != "gt" && n.name != "amp" && n.name != "quot") {
      continue;  // only the legacy references work without `;`
    }
    cp = n.cp;
    len = end - i;
    return true;
  }
  return false;
}

int DecodedChars::next() {
  while (i_ < v_.size()) {
    unsigned cp = static_cast<unsigned char>(v_[i_]);
    size_t len = 1;
    if (v_[i_] == '&') {
      if (!decode_reference(v_, i_, cp, len)) {
        cp = '&';
        len = 1;
      }
    }
    i_ += len;
    if (skip_ && (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0)) continue;
    if (cp >= 'A' && cp <= 'Z') cp = cp - 'A' + 'a';
    return static_cast<int>(cp);
  }
  return -1;
}

namespace {

// Matches `word` against the decoded stream; on success leaves `it` just past it.
// Controls and spaces inside a scheme are skipped: `jav&#x09;ascript:` is stripped by the URL
// parser and `java\x01script:` was accepted by legacy engines.
bool match_word(DecodedChars& it, std::string_view word) {
  for (char w : word) {
    int c;
    do {
      c = it.next();
    } while (c >= 0 && c <= 0x20);
    if (c != static_cast<unsigned char>(w)) return false;
  }
  return true;
}

}  // namespace

namespace {

int base64_value(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// After `data:<type>;`: when the parameters say base64, decodes the start of the body (bounded)
// and reports whether it is markup that runs script.
bool base64_body_is_markup(DecodedChars it, std::string_view v) {
  char params[48];
  size_t pn = 0;
  int c;
  while ((c = it.next()) >= 0 && c != ',' && pn < sizeof(params)) {
    if (c > 0x20) params[pn++] = static_cast<char>(c);  // next() has lower-cased it
  }
  if (c != ',' || std::string_view(params, pn).find("base64") == std::string_view::npos) {
    return false;
  }
  // The body in its raw case (base64 is case-sensitive); whitespace and character references
  // (`&NewLine;`, `&#10;`) inside it are skipped, as URL parsing strips the newlines they name.
  std::string_view body = v.substr(it.raw_position());
  char out[384];
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < body.size() && n < sizeof(out); ++i) {
    const char ch = body[i];
    if (ch == '&') {
      size_t semi = body.find(';', i);
      if (semi == std::string_view::npos || semi - i > 12) break;
      i = semi;
      continue;
    }
    if (static_cast<unsigned char>(ch) <= 0x20) continue;
    int val = base64_value(ch);
    if (val < 0) break;
    acc = (acc << 6) | static_cast<uint32_t>(val);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      char b = static_cast<char>((acc >> bits) & 0xFF);
      out[n++] = b >= 'A' && b <= 'Z' ? static_cast<char>(b + 32) : b;
    }
  }
  std::string_view html(out, n);
  for (std::string_view needle :
       {"<script", "<svg", "<iframe", "javascript:", "onload=", "onerror="}) {
    if (html.find(needle) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

UrlVerdict classify_url(std::string_view value, std::string_view* body) {
  // Skip leading C0 controls and spaces, raw or encoded.
  DecodedChars probe(value, true);
  size_t start = 0;
  for (;;) {
    size_t before = probe.raw_position();
    int c = probe.next();
    if (c < 0) return UrlVerdict::kSafe;
    if (c > 0x20 && c != 0xFFFD) {
      start = before;
      break;
    }
  }
  std::string_view v = value.substr(start);
  // Netscape 4 JavaScript entities: <img src=&{alert(1)};>
  if (v.starts_with("&{")) return UrlVerdict::kScript;
  for (std::string_view scheme : {"javascript:", "vbscript:", "livescript:"}) {
    DecodedChars it(v, true);
    if (match_word(it, scheme)) {
      if (body) *body = v.substr(it.raw_position());
      return UrlVerdict::kScript;
    }
  }
  DecodedChars it(v, true);
  if (match_word(it, "data:")) {
    // RFC 2397: data:[<mediatype>][;base64],<data>. Read the media type up to ',' or ';'.
    char mt[32];
    size_t n = 0;
    int c;
    while ((c = it.next()) >= 0 && c != ',' && c != ';' && n < sizeof(mt)) {
      if (c != ' ') mt[n++] = static_cast<char>(c);
    }
    std::string_view media(mt, n);
    if (media.starts_with("text/html") || media.starts_with("image/svg") ||
        media.starts_with("text/xml") || media.starts_with("application/xhtml") ||
        media.starts_with("application/xml") ||
        media.find("javascript") != std::string_view::npos || media.starts_with("text/vbscript")) {
      if (body) *body = v.substr(it.raw_position());
      return UrlVerdict::kDataHtml;
    }
    // Any other media type with a base64 body that decodes to markup: browsers that sniff
    // content (and downloads opened from disk) render it as HTML, so the declared type
    // (`data:application/x-x509-user-cert;base64,PHNjcmlwdD4...`) is only a disguise.
    if (c == ';' && base64_body_is_markup(it, v)) return UrlVerdict::kDataHtml;
  }
  return UrlVerdict::kSafe;
}

namespace {

// One normalisation of `css` (see is_dangerous_css); `strings`: `/*` inside a CSS string is text.
bool dangerous_css_pass(std::string_view css, bool strings) {
  char buf[512];
  size_t n = 0;
  DecodedChars it(css, true);
  int c;
  int prev = 0;
  bool in_comment = false;
  char in_string = 0;  // the quote of the CSS string being read, or 0
  auto contains = [&](std::string_view needle) {
    return std::string_view(buf, n).find(needle) != std::string_view::npos;
  };
  auto check = [&]() {
    return contains("expression(") || contains("javascript:") || contains("vbscript:") ||
           contains("behavior:") || contains("behaviour:") || contains("-moz-binding") ||
           contains("@import") || contains("url(javascript") || contains("url(vbscript") ||
           contains("url('javascript") || contains("url(\"javascript");
  };
  bool literal_next = false;  // after `\` + non-hex: the next character is taken literally
  while ((c = it.next()) >= 0) {
    bool escaped = literal_next;  // c came from a CSS escape: never a quote delimiter
    literal_next = false;
    if (c == '\\' && !escaped) {
      escaped = true;
      // CSS escape (CSS Syntax sec. 4.3.7): up to six hex digits and an optional space, else the
      // next character literally. `\28` is '(' and `e\xpression` is `expression`.
      int cp = 0, digits = 0, d;
      DecodedChars save = it;
      while (digits < 6 && (d = it.next()) >= 0 && hex_value(static_cast<char>(d)) >= 0) {
        cp = cp * 16 + hex_value(static_cast<char>(d));
        ++digits;
        save = it;
      }
      it = save;
      if (digits == 0) {  // `\x` -> `x` on the next round
        literal_next = true;
        continue;
      }
      c = cp < 0x80 ? cp : 0xFFFD;
      if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
    }
    if (in_comment) {
      if (prev == '*' && c == '/') in_comment = false;
      prev = c;
      continue;
    }
    // Inside a CSS string `/*` is text, not a comment (CSS Syntax sec. 4.3.5): a decoy string
    // such as `x("*//*")` must not hide the `expression(` that follows it.
    if (strings && (c == '"' || c == '\'') && !escaped) {
      if (in_string == 0) {
        in_string = static_cast<char>(c);
      } else if (in_string == c) {
        in_string = 0;
      }
    } else if (in_string == 0 && prev == '/' && c == '*') {
      in_comment = true;
      if (n > 0) --n;  // drop the '/'
      prev = 0;
      continue;
    }
    prev = c;
    if (c <= 0x20 || c == 0xFFFD) continue;
    if (n == sizeof(buf)) {
      if (check()) return true;
      // Keep the tail so a needle spanning the boundary is still found.
      std::string_view tail(buf + n - 16, 16);
      for (size_t k = 0; k < 16; ++k) buf[k] = tail[k];
      n = 16;
    }
    buf[n++] = static_cast<char>(c);
  }
  return check();
}

}  // namespace

bool is_dangerous_css(std::string_view css) {
  // Normalise: decode references, drop comments, backslashes (CSS escapes like `e\xpression`),
  // whitespace and controls; lower-case. Bounded buffer, sliding window for long values.
  // Two readings: comments anywhere (what a lax parser does, and what an unbalanced quote must
  // not switch off), and CSS strings respected, so a decoy `x("*//*")` cannot open a comment
  // that swallows the `expression(` after it.
  return dangerous_css_pass(css, false) || dangerous_css_pass(css, true);
}

}  // namespace portcullis::rules::html
