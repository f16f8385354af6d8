// Data-driven detector tests (libinjection style): a case file holds EXPECTED<TAB>INPUT lines,
// '#' starts a comment line, and control bytes in INPUT are written as escapes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::corpus {

struct Case {
  int line = 0;          // 1-based line number in the file, for failure messages
  std::string expected;  // the text before the first TAB
  std::string raw;       // the text after it, as written
  std::string input;     // raw, unescaped with the file's escape letters
};

struct CaseFile {
  bool opened = false;
  std::vector<Case> cases;
  std::vector<std::string> untabbed;  // non-comment lines without a TAB: a test may reject them
};

// Reads `path`; `escapes` as for unescape() ("rn0t" for most case files).
CaseFile read_case_file(const std::string& path, std::string_view escapes);

}  // namespace portcullis::corpus
