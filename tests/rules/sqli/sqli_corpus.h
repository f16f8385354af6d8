// Reading the shared detection corpora (/work/shared/corpus): one input per line, CR, LF and
// NUL written as \r \n \0. Many lines are URL-encoded; the proxy decodes before detectors
// run, so this reader does the same (percent-decoding up to 3 rounds, '+' as space).
// Header-only, shared by the corpus-quality test and bench/rules_sqli/sqli_score.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace portcullis::rules::testing {

inline std::string unescape_corpus_line(const std::string& line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      char n = line[i + 1];
      if (n == 'r') {
        out += '\r';
        ++i;
        continue;
      }
      if (n == 'n') {
        out += '\n';
        ++i;
        continue;
      }
      if (n == '0') {
        out += '\0';
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

// plus_is_space: form encoding ('+' for space). A line that already holds a raw space was not
// form-encoded, so its '+' is a real plus ("1+1").
inline std::string url_decode_once(const std::string& in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hexval(in[i + 1]) >= 0 &&
        hexval(in[i + 2]) >= 0) {
      out += static_cast<char>(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
      i += 2;
    } else if (in[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return out;
}

inline std::string decode_corpus_input(const std::string& line) {
  std::string s = unescape_corpus_line(line);
  bool plus_is_space = s.find(' ') == std::string::npos;
  for (int round = 0; round < 3; ++round) {
    std::string d = url_decode_once(s, plus_is_space);
    if (d == s) break;
    s = d;
  }
  return s;
}

// Returns false when the file cannot be opened.
inline bool read_corpus(const std::string& path, std::vector<std::string>& inputs) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    inputs.push_back(decode_corpus_input(line));
  }
  return true;
}

}  // namespace portcullis::rules::testing
