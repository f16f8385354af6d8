// Reader for the data-driven case files in tests/proxy/http/data/ (format documented at the top of
// each file). Test-only helper; header-only so every *_test.cc can use it.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::http::testing {

struct Case {
  std::string name;
  int line = 0;
  std::string raw;                                          // concatenated, unescaped raw: lines
  std::multimap<std::string, std::string> keys;             // every other "key: value" line
  std::vector<std::pair<std::string, std::string>> fields;  // "field: k=v" (v unescaped)

  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = keys.find(k);
    return it == keys.end() ? def : it->second;
  }
};

// Keeps gtest from hex-dumping a Case when a parameterized test fails.
inline void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// \r \n \t \0 \\ \s (space) \xHH; any other backslash sequence aborts the test run (typo guard).
inline std::string unescape(const std::string& s, bool& ok) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) {
      ok = false;
      break;
    }
    switch (s[i]) {
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      case 's':
        out += ' ';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x':
        if (i + 2 < s.size() + 0 && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
          out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
          i += 2;
        } else {
          ok = false;
        }
        break;
      default:
        ok = false;
    }
  }
  return out;
}

// Returns the cases, or an empty vector and a message in `error`.
inline std::vector<Case> load_cases(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  std::vector<Case> cases;
  if (!in) {
    error = "cannot open " + path;
    return {};
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("=== ", 0) == 0) {
      cases.push_back(Case{line.substr(4), lineno, {}, {}, {}});
      continue;
    }
    const size_t colon = line.find(": ");
    if (cases.empty() || colon == std::string::npos) {
      error = path + ":" + std::to_string(lineno) + ": expected '=== name' or 'key: value'";
      return {};
    }
    std::string key = line.substr(0, colon);
    const std::string value = line.substr(colon + 2);
    bool ok = true;
    Case& c = cases.back();
    if (key == "raw") {
      c.raw += unescape(value, ok);
    } else if (key.rfind("raw*", 0) == 0) {
      const std::string piece = unescape(value, ok);
      const long n = std::strtol(key.c_str() + 4, nullptr, 10);
      for (long i = 0; i < n; ++i) c.raw += piece;
    } else if (key == "field") {
      const size_t eq = value.find('=');
      if (eq == std::string::npos)
        ok = false;
      else
        c.fields.emplace_back(value.substr(0, eq), unescape(value.substr(eq + 1), ok));
    } else {
      c.keys.emplace(key, unescape(value, ok));
    }
    if (!ok) {
      error = path + ":" + std::to_string(lineno) + ": bad escape or field syntax";
      return {};
    }
  }
  return cases;
}

inline std::string data_path(const std::string& file) {
  return std::string(PORTCULLIS_SOURCE_DIR) + "/tests/proxy/http/data/" + file;
}

}  // namespace portcullis::http::testing
