// Decoder: turns one raw request input (a query value, form field, header, JSON string...) into
// the text a lenient application would finally see, once, so every detector inspects the same
// normalized bytes. Attackers stack encodings precisely because a WAF decodes once and the app
// decodes again (CWE-174 double decoding, IIS "Unicode" bug CVE-2000-0884, Tomcat/Java best-fit).
//
// Per round, in order: percent escapes (%XX and IIS %uXXXX), HTML character references, JSON/JS
// \uXXXX escapes (optional), then a lenient UTF-8 pass (overlong forms decoded to the byte they
// encode, fullwidth / look-alike separators folded to ASCII). Rounds repeat while the text changes,
// up to DecodeOptions::max_rounds (default 3: enough for the double and triple encodings seen in
// attack tools, bounded so a crafted input cannot make us loop).
//
// Bounds: every transformation shrinks or keeps the length, so the output is at most
// min(raw.size(), max_input) bytes; input beyond max_input is not inspected and kTruncated is set.
// The Decoder owns two buffers reused across calls: after warm-up the hot path does not allocate.
// Not thread-safe: use one Decoder per worker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::rules {

// Signals collected while decoding. A detector may use them (e.g. an overlong '.' is never
// benign), and the audit log records them.
enum DecodeFlag : uint32_t {
  kHadPercent = 1u << 0,     // at least one %XX / %uXXXX escape was decoded
  kDoubleEncoded = 1u << 1,  // a second (or later) round still found escapes to decode
  kOverlongUtf8 = 1u << 2,   // an overlong UTF-8 form (e.g. C0 AE for '.') was normalized
  kInvalidUtf8 = 1u << 3,    // bytes that are not valid UTF-8 remain (or were leniently decoded)
  kHasNul = 1u << 4,         // the decoded text contains NUL (truncation attacks)
  kHasControl = 1u << 5,     // C0 control chars other than \t \n \r, or DEL
  kHadHtmlEntity = 1u << 6,  // an HTML character reference was decoded
  kHadJsonEscape = 1u << 7,  // a \uXXXX escape was decoded
  kHadPercentU = 1u << 8,    // an IIS-style %uXXXX escape was decoded
  kUnicodeFolded = 1u << 9,  // fullwidth or look-alike code point folded to ASCII (best-fit)
  kTruncated = 1u << 10,     // input longer than max_input: only the prefix was decoded
  kHasNewline = 1u << 11,    // the decoded text contains \r or \n
};

struct DecodeOptions {
  // Query strings and application/x-www-form-urlencoded bodies encode space as '+'
  // (WHATWG URL "application/x-www-form-urlencoded parser"). Applied in the first round only:
  // a '+' produced by decoding %2B is a literal plus.
  bool plus_as_space = false;
  // Decode \uXXXX (and surrogate pairs) as JSON.parse / JS string literals do.
  bool json_escapes = false;
  bool html_entities = true;
  bool percent = true;
  uint8_t max_rounds = 3;
  size_t max_input = 64 * 1024;
};

struct Decoded {
  std::string_view text;  // valid until the next decode() on the same Decoder
  uint32_t flags = 0;
  uint8_t rounds = 0;  // rounds that changed the text

  bool has(DecodeFlag f) const { return (flags & f) != 0; }
};

class Decoder {
 public:
  Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  Decoded decode(std::string_view raw, const DecodeOptions& opts = {});
  // The same, written into `out` (the inspection engine's per-input result): returning the
  // struct by value made every caller copy it back through memory right after the callee's
  // field-by-field stores, a store-forwarding stall per input.
  void decode_into(std::string_view raw, const DecodeOptions& opts, Decoded& out);

 private:
  std::string a_;
  std::string b_;
};

// Single-pass building blocks, exposed for tests and for callers that need exactly one layer.
// Each appends to *out and returns the flags it raised; none allocates beyond *out's capacity
// growth, and |out| never grows by more than in.size().
uint32_t percent_decode_once(std::string_view in, bool plus_as_space, std::string* out);
uint32_t html_decode_once(std::string_view in, std::string* out);
uint32_t json_unescape_once(std::string_view in, std::string* out);
uint32_t utf8_normalize_once(std::string_view in, std::string* out);

}  // namespace portcullis::rules
