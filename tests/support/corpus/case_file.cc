#include "tests/support/corpus/case_file.h"

#include <fstream>

#include "tests/support/corpus/corpus.h"

namespace portcullis::corpus {

CaseFile read_case_file(const std::string& path, std::string_view escapes) {
  CaseFile file;
  std::ifstream in(path);
  file.opened = static_cast<bool>(in);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      file.untabbed.push_back(line);
      continue;
    }
    std::string raw = line.substr(tab + 1);
    std::string input = unescape(raw, escapes);
    file.cases.push_back({n, line.substr(0, tab), std::move(raw), std::move(input)});
  }
  return file;
}

}  // namespace portcullis::corpus
