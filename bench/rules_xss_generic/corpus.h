// Corpus lines as the xss/generic scorer and corpus-quality tests see them: the shared reader's
// unescaping and percent-decoding (tests/support/corpus; independent of the real decoder, so the
// measurement does not move with it), plus a copy with HTML character references decoded.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "tests/support/corpus/corpus.h"

namespace portcullis::corpus {

// Minimal HTML character-reference decoding (numeric, and the five XML entities), as the
// request decoder does after percent-decoding; applied to a copy, see Line::entity_decoded.
inline std::string entity_decode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      static const std::pair<const char*, char> kNamed[] = {
          {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}, {"&amp;", '&'}};
      bool done = false;
      for (auto& [name, c] : kNamed) {
        if (s.compare(i, std::strlen(name), name) == 0) {
          out += c;
          i += std::strlen(name) - 1;
          done = true;
          break;
        }
      }
      if (done) continue;
      if (i + 2 < s.size() && s[i + 1] == '#') {
        size_t j = i + 2;
        bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
        if (hex) ++j;
        unsigned v = 0;
        size_t start = j;
        while (j < s.size() && (hex ? hexval(s[j]) >= 0 : (s[j] >= '0' && s[j] <= '9'))) {
          if (v < 0x110000) v = v * (hex ? 16 : 10) + (hex ? hexval(s[j]) : s[j] - '0');
          ++j;
        }
        if (j > start && j < s.size() && s[j] == ';' && v > 0 && v < 0x80) {
          out += static_cast<char>(v);
          i = j;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

// Percent-decoding leaves '+' alone: inputs such as `{{7+7}}` must stay intact.
inline std::string decode_line(const std::string& raw) { return decode_line(raw, Plus::kLiteral); }

struct Line {
  std::string raw;
  std::string decoded;         // unescaped + percent-decoded (up to 3 rounds)
  std::string entity_decoded;  // the above with HTML character references decoded
};

// Reads a corpus file; returns false if it cannot be opened. Empty lines are skipped.
inline bool read_corpus(const std::string& path, std::vector<Line>& out) {
  std::vector<std::string> lines;
  if (!read_lines(path, lines)) return false;
  for (const std::string& line : lines) {
    std::string d = decode_line(line);
    std::string e = entity_decode(d);
    out.push_back({line, std::move(d), std::move(e)});
  }
  return true;
}

}  // namespace portcullis::corpus
