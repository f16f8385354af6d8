// Reading attribute values the way a browser's URL and CSS parsers see them: character references
// decoded (HTML sec. 13.2.5.72, numeric with or without `;`, the named ones used in filter
// evasion), and for URL schemes the tab/LF/CR that the URL parser strips anywhere (WHATWG URL
// sec. 4.4) removed, so `jav&#x09;ascript&colon;` reads as `javascript:`.
#pragma once

#include <cstddef>
#include <string_view>

namespace portcullis::rules::html {

// Decodes one character reference starting at value[i] == '&'. On success stores the decoded
// code point (ASCII only; others become 0xFFFD) and the length consumed.
bool decode_reference(std::string_view value, size_t i, unsigned& cp, size_t& len);

// Iterates the decoded, ASCII-lower-cased characters of an attribute value. `skip_url_ws` also
// drops tab/LF/CR/NUL (URL parser behaviour).
class DecodedChars {
 public:
  DecodedChars(std::string_view value, bool skip_url_ws) : v_(value), skip_(skip_url_ws) {}
  // Next decoded code point, or -1 at the end.
  int next();
  size_t raw_position() const { return i_; }

 private:
  std::string_view v_;
  size_t i_ = 0;
  bool skip_;
};

enum class UrlVerdict { kSafe, kScript, kDataHtml };

// Classifies the URL in an attribute value: `javascript:`, `vbscript:`, `livescript:` -> kScript;
// `data:` with an HTML, SVG, XML or script media type (or base64 in a frame) -> kDataHtml.
// Leading C0 controls and spaces are ignored (URL sec. 4.4). `body` receives the raw bytes after
// the scheme's colon.
UrlVerdict classify_url(std::string_view value, std::string_view* body = nullptr);

// True for CSS in a style attribute or element that runs script: `expression(`, `javascript:` or
// `vbscript:` URLs, `behavior:`, `-moz-binding`, `@import`. Comments and CSS escapes are removed.
bool is_dangerous_css(std::string_view css);

}  // namespace portcullis::rules::html
