#include "rules/decode/decoder.h"

#include <cctype>
#include <cstring>

namespace portcullis::rules {
namespace {

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses exactly n hex digits at in[i..]; -1 if any is missing or not hex.
long parse_hex(std::string_view in, size_t i, size_t n) {
  if (i + n > in.size()) return -1;
  long v = 0;
  for (size_t k = 0; k < n; ++k) {
    int h = hex_value(static_cast<unsigned char>(in[i + k]));
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Appends the UTF-8 encoding of cp (cp <= 0x10FFFF, surrogates written as U+FFFD).
void append_utf8(uint32_t cp, std::string* out) {
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads a 4-hex-digit escape at in[i] (already past the "%u" / "\u"), combining a following
// escaped low surrogate (same prefix) into one code point. Returns bytes consumed after the
// first escape's digits through *extra, 0 if no pair.
uint32_t combine_surrogates(std::string_view in, size_t after, long hi, std::string_view prefix,
                            size_t* extra) {
  *extra = 0;
  if (hi < 0xD800 || hi > 0xDBFF) return static_cast<uint32_t>(hi);
  if (in.substr(after, prefix.size()) != prefix) return 0xFFFD;
  long lo = parse_hex(in, after + prefix.size(), 4);
  if (lo < 0xDC00 || lo > 0xDFFF) return 0xFFFD;
  *extra = prefix.size() + 4;
  return 0x10000 + ((static_cast<uint32_t>(hi) - 0xD800) << 10) +
         (static_cast<uint32_t>(lo) - 0xDC00);
}

struct NamedEntity {
  std::string_view name;
  std::string_view value;
  bool legacy;  // decoded by browsers even without the trailing ';' (HTML5 12.5 legacy list)
};

// The references that matter for injection (they spell syntax) plus the common text ones.
// Not the full 2,231-entry HTML5 table: unknown names are left as typed.
constexpr NamedEntity kEntities[] = {
    {"amp", "&", true},         {"lt", "<", true},
    {"gt", ">", true},          {"quot", "\"", true},
    {"nbsp", "\xC2\xA0", true}, {"apos", "'", false},
    {"sol", "/", false},        {"bsol", "\\", false},
    {"period", ".", false},     {"colon", ":", false},
    {"semi", ";", false},       {"comma", ",", false},
    {"lpar", "(", false},       {"rpar", ")", false},
    {"lsqb", "[", false},       {"rsqb", "]", false},
    {"lbrack", "[", false},     {"rbrack", "]", false},
    {"lcub", "{", false},       {"rcub", "}", false},
    {"lbrace", "{", false},     {"rbrace", "}", false},
    {"verbar", "|", false},     {"vert", "|", false},
    {"grave", "`", false},      {"dollar", "$", false},
    {"num", "#", false},        {"percnt", "%", false},
    {"excl", "!", false},       {"quest", "?", false},
    {"equals", "=", false},     {"plus", "+", false},
    {"ast", "*", false},        {"commat", "@", false},
    {"lowbar", "_", false},     {"Hat", "^", false},
    {"tilde", "~", false},      {"Tab", "\t", false},
    {"NewLine", "\n", false},   {"hyphen", "-", false},
    {"dash", "-", false},       {"copy", "\xC2\xA9", true},
    {"reg", "\xC2\xAE", true},  {"euro", "\xE2\x82\xAC", false},
};

// Maps a decoded code point to the ASCII character a "best-fit" or NFKC-normalizing stack
// (IIS, Java, Python unicodedata, Windows ANSI APIs) would turn it into; 0 if none.
char fold_lookalike(uint32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) return static_cast<char>(cp - 0xFEE0);  // fullwidth ASCII
  switch (cp) {
    case 0x2215:  // DIVISION SLASH
    case 0x2044:  // FRACTION SLASH
      return '/';
    case 0x2216:  // SET MINUS
    case 0xFE68:  // SMALL REVERSE SOLIDUS
      return '\\';
    case 0x2024:  // ONE DOT LEADER
    case 0xFE52:  // SMALL FULL STOP
      return '.';
    default:
      return 0;
  }
}

bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

uint32_t percent_decode_once(std::string_view in, bool plus_as_space, std::string* out) {
  uint32_t flags = 0;
  out->reserve(out->size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      long v = parse_hex(in, i + 1, 2);
      if (v >= 0) {
        out->push_back(static_cast<char>(v));
        flags |= kHadPercent;
        i += 2;
        continue;
      }
      // IIS %uXXXX (non-standard, still decoded by IIS/ASP and many "unescape" functions).
      if (i + 1 < in.size() && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
        long u = parse_hex(in, i + 2, 4);
        if (u >= 0) {
          size_t extra = 0;
          uint32_t cp = combine_surrogates(in, i + 6, u, "%u", &extra);
          append_utf8(cp, out);
          flags |= kHadPercent | kHadPercentU;
          i += 5 + extra;
          continue;
        }
      }
      out->push_back(c);
    } else if (c == '+' && plus_as_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return flags;
}

uint32_t html_decode_once(std::string_view in, std::string* out) {
  uint32_t flags = 0;
  out->reserve(out->size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '&' || i + 2 >= in.size()) {
      out->push_back(c);
      continue;
    }
    if (in[i + 1] == '#') {
      // Numeric reference, ';' optional (HTML5 tolerates its absence, and so do browsers).
      bool hex = in[i + 2] == 'x' || in[i + 2] == 'X';
      size_t j = i + (hex ? 3 : 2);
      uint64_t cp = 0;
      size_t digits = 0;
      while (j < in.size() && digits < 8) {
        int h = hex ? hex_value(static_cast<unsigned char>(in[j]))
                    : (in[j] >= '0' && in[j] <= '9' ? in[j] - '0' : -1);
        if (h < 0) break;
        cp = cp * (hex ? 16 : 10) + static_cast<unsigned>(h);
        ++j;
        ++digits;
      }
      // Leading zeros are common padding (&#0000060); allow up to 8 digits total.
      if (digits == 0 || cp > 0x10FFFF) {
        out->push_back(c);
        continue;
      }
      if (j < in.size() && in[j] == ';') ++j;
      append_utf8(static_cast<uint32_t>(cp), out);
      flags |= kHadHtmlEntity;
      i = j - 1;
      continue;
    }
    size_t j = i + 1;
    while (j < in.size() && j - i <= 8 && is_alnum(static_cast<unsigned char>(in[j]))) ++j;
    std::string_view name = in.substr(i + 1, j - i - 1);
    bool semi = j < in.size() && in[j] == ';';
    const NamedEntity* hit = nullptr;
    for (const auto& e : kEntities) {
      if (e.name == name) {
        hit = &e;
        break;
      }
    }
    if (hit != nullptr && (semi || hit->legacy)) {
      out->append(hit->value);
      flags |= kHadHtmlEntity;
      i = semi ? j : j - 1;
    } else {
      out->push_back(c);
    }
  }
  return flags;
}

uint32_t json_unescape_once(std::string_view in, std::string* out) {
  uint32_t flags = 0;
  out->reserve(out->size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\\' && i + 1 < in.size() && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
      long u = parse_hex(in, i + 2, 4);
      if (u >= 0) {
        size_t extra = 0;
        uint32_t cp = combine_surrogates(in, i + 6, u, "\\u", &extra);
        append_utf8(cp, out);
        flags |= kHadJsonEscape;
        i += 5 + extra;
        continue;
      }
    }
    out->push_back(c);
  }
  return flags;
}

uint32_t utf8_normalize_once(std::string_view in, std::string* out) {
  uint32_t flags = 0;
  out->reserve(out->size() + in.size());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = c >= 0xFC && c <= 0xFD   ? 6
                 : c >= 0xF8 && c <= 0xFB ? 5
                 : c >= 0xF0 && c <= 0xF7 ? 4
                 : c >= 0xE0              ? 3
                 : c >= 0xC0              ? 2
                                          : 0;
    bool complete = len != 0 && i + len <= n;
    for (size_t k = 1; complete && k < len; ++k) complete = is_cont(s[i + k]);
    if (!complete) {
      // IIS-era lenient decoders read a C0/C1 lead plus any next byte as a 2-byte form, e.g.
      // %c0%2e. Never for letters in second place, so Latin-1 text like "Àb" keeps its bytes;
      // %c0%ee likewise (a lead byte in second place). The result is kept only when it is
      // punctuation: that is what such forms smuggle ('.', '/', '\'), and it keeps junk like
      // "%c1%8s" from turning into letters.
      if ((c == 0xC0 || c == 0xC1) && i + 1 < n && (s[i + 1] < 0x80 || s[i + 1] >= 0xC0) &&
          !is_alnum(s[i + 1])) {
        auto v = static_cast<unsigned char>(((c & 1) << 6) | (s[i + 1] & 0x3F));
        if (v > 0x20 && !is_alnum(v)) {
          out->push_back(static_cast<char>(v));
          flags |= kOverlongUtf8 | kInvalidUtf8;
          i += 2;
          continue;
        }
      }
      out->push_back(static_cast<char>(c));
      flags |= kInvalidUtf8;
      ++i;
      continue;
    }
    uint32_t cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    size_t shortest = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (shortest < len) {
      // Overlong (RFC 3629 section 10: must be rejected; lenient decoders accept them).
      flags |= kOverlongUtf8;
      if (len > 4) flags |= kInvalidUtf8;
      if (cp <= 0x10FFFF) {
        char f = fold_lookalike(cp);
        if (f != 0) {
          out->push_back(f);
          flags |= kUnicodeFolded;
        } else {
          append_utf8(cp, out);
        }
      } else {
        out->append(in.substr(i, len));
        flags |= kInvalidUtf8;
      }
      i += len;
      continue;
    }
    if (len > 4 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out->append(in.substr(i, len));
      flags |= kInvalidUtf8;
      i += len;
      continue;
    }
    char f = fold_lookalike(cp);
    if (f != 0) {
      out->push_back(f);
      flags |= kUnicodeFolded;
    } else {
      out->append(in.substr(i, len));
    }
    i += len;
  }
  return flags;
}

void Decoder::decode_into(std::string_view raw, const DecodeOptions& opts, Decoded& result) {
  result = Decoded{};
  if (raw.size() > opts.max_input) {
    raw = raw.substr(0, opts.max_input);
    result.flags |= kTruncated;
  }
  std::string_view cur = raw;
  // Ping-pong between the two owned buffers; never write into the one |cur| points at.
  auto next_buffer = [&]() -> std::string& {
    std::string& dst = (cur.data() == a_.data() && !a_.empty()) ? b_ : a_;
    dst.clear();
    return dst;
  };
  auto has_byte = [](std::string_view s, char c) {
    return !s.empty() && std::memchr(s.data(), c, s.size()) != nullptr;
  };
  auto has_percent_escape = [](std::string_view s) {  // %XX with two hex digits
    for (size_t i = s.find('%'); i != std::string_view::npos && i + 2 < s.size();
         i = s.find('%', i + 1)) {
      if (std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return true;
      }
    }
    return false;
  };
  auto has_high = [](std::string_view s) {
    for (unsigned char c : s)
      if (c >= 0x80) return true;
    return false;
  };

  // Fast path for the common input that holds no byte any layer acts on ('%', '+' in the first
  // round, '&', '\\' with JSON escapes, >= 0x80): every layer below would be skipped, the first
  // round would change nothing and end the loop, so the text is `raw` itself. One pass computes
  // that and the final flags together.
  {
    uint32_t flags = 0;
    bool trigger = false;
    for (unsigned char c : raw) {
      if (c < 0x20 || c == 0x7F) {
        if (c == 0) {
          flags |= kHasNul;
        } else if (c == '\r' || c == '\n') {
          flags |= kHasNewline;
        } else if (c != '\t') {
          flags |= kHasControl;
        }
      } else if (c >= 0x80 || c == '%' || c == '+' || c == '&' || c == '\\') {
        trigger = true;
        break;
      }
    }
    if (!trigger) {
      result.flags |= flags;
      result.text = raw;
      return;
    }
  }

  const uint8_t rounds = opts.max_rounds == 0 ? 1 : opts.max_rounds;
  for (uint8_t round = 0; round < rounds; ++round) {
    bool changed = false;
    auto apply = [&](auto&& fn) {
      std::string& dst = next_buffer();
      uint32_t f = fn(cur, &dst);
      result.flags |= f;  // e.g. kInvalidUtf8 is raised even when nothing changed
      if (dst.size() != cur.size() || std::memcmp(dst.data(), cur.data(), cur.size()) != 0) {
        cur = dst;
        changed = true;
        return true;
      }
      return false;
    };
    bool decoded_escape = false;
    // '+' is a space in the first form-urlencoded layer. A value still percent-encoded after it
    // was encoded twice, and the application's second decode (PHP urldecode(), Java URLDecoder)
    // reads '+' as a space too: `%26%26+|+dir` is `&& | dir`. So a later round that decodes a
    // percent escape also turns '+' into a space.
    const bool plus =
        opts.plus_as_space && (round == 0 || (has_byte(cur, '+') && has_percent_escape(cur)));
    if (opts.percent && (has_byte(cur, '%') || (plus && has_byte(cur, '+')))) {
      decoded_escape |= apply([&](std::string_view in, std::string* out) {
        return percent_decode_once(in, plus, out);
      });
    }
    if (opts.html_entities && has_byte(cur, '&')) {
      decoded_escape |= apply(html_decode_once);
    }
    if (opts.json_escapes && has_byte(cur, '\\')) {
      decoded_escape |= apply(json_unescape_once);
    }
    if (has_high(cur)) apply(utf8_normalize_once);
    if (round > 0 && decoded_escape) result.flags |= kDoubleEncoded;
    if (!changed) break;
    ++result.rounds;
  }

  for (unsigned char c : cur) {
    if (c == 0) {
      result.flags |= kHasNul;
    } else if (c == '\r' || c == '\n') {
      result.flags |= kHasNewline;
    } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
      result.flags |= kHasControl;
    }
  }
  result.text = cur;
}

Decoded Decoder::decode(std::string_view raw, const DecodeOptions& opts) {
  Decoded result;
  decode_into(raw, opts, result);
  return result;
}

}  // namespace portcullis::rules
