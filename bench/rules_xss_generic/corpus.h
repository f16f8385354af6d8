// Corpus reading shared by the xss/generic scorer and the corpus-quality tests: one input per
// line, with `\r`, `\n`, `\0` written as escapes (see shared/corpus/README.md). Lines may be
// URL-encoded; detectors want decoded input, so we percent-decode up to three times (the real
// decoder is another module; this minimal one keeps the measurement independent of it). `+` is
// left alone: inputs such as `{{7+7}}` must stay intact.
#pragma once

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace portcullis::corpus {

inline std::string unescape_line(const std::string& line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      char n = line[i + 1];
      if (n == 'r' || n == 'n' || n == '0') {
        out += n == 'r' ? '\r' : n == 'n' ? '\n' : '\0';
        ++i;
        continue;
      }
    }
    out += line[i];
  }
  return out;
}

inline int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline bool percent_decode_once(std::string& s) {
  std::string out;
  out.reserve(s.size());
  bool changed = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
      changed = true;
    } else {
      out += s[i];
    }
  }
  s.swap(out);
  return changed;
}

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

inline std::string decode_line(const std::string& raw) {
  std::string s = unescape_line(raw);
  for (int i = 0; i < 3 && percent_decode_once(s); ++i) {
  }
  return s;
}

struct Line {
  std::string raw;
  std::string decoded;         // unescaped + percent-decoded (up to 3 rounds)
  std::string entity_decoded;  // the above with HTML character references decoded
};

// Reads a corpus file; returns false if it cannot be opened. Empty lines are skipped.
inline bool read_corpus(const std::string& path, std::vector<Line>& out) {
  std::ifstream f(path);
  if (!f) return false;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    std::string d = decode_line(line);
    std::string e = entity_decode(d);
    out.push_back({line, std::move(d), std::move(e)});
  }
  return true;
}

}  // namespace portcullis::corpus
