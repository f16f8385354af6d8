#include "bench/detect_score/corpus.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace portcullis::bench {

std::string find_corpus(const std::string& repo_dir) {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("PORTCULLIS_CORPUS"); env != nullptr && *env != '\0') {
    return fs::is_directory(env) ? env : "";
  }
  for (const std::string& c :
       {repo_dir + "/../shared/corpus", std::string("/work/shared/corpus")}) {
    std::error_code ec;
    if (fs::is_directory(c, ec)) return c;
  }
  return "";
}

std::string unescape_line(const std::string& line) {
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

std::vector<CorpusFile> load_corpus(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<CorpusFile> files;
  std::error_code ec;
  for (const auto& folder : fs::directory_iterator(dir, ec)) {
    if (!folder.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(folder.path(), ec)) {
      std::string name = file.path().filename().string();
      bool attack = name.rfind("attack-", 0) == 0;
      bool benign = name.rfind("benign-", 0) == 0;
      if ((!attack && !benign) || file.path().extension() != ".txt") continue;
      CorpusFile f;
      f.folder = folder.path().filename().string();
      f.name = name;
      f.attack = attack;
      f.cls = name.substr(7, name.size() - 7 - 4);
      std::ifstream in(file.path(), std::ios::binary);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        f.lines.push_back(unescape_line(line));
      }
      files.push_back(std::move(f));
    }
  }
  std::sort(files.begin(), files.end(), [](const CorpusFile& a, const CorpusFile& b) {
    return a.folder != b.folder ? a.folder < b.folder : a.name < b.name;
  });
  return files;
}

std::vector<const std::string*> sample(const CorpusFile& f, size_t max) {
  std::vector<const std::string*> out;
  const size_t n = f.lines.size();
  if (n <= max) {
    for (const std::string& l : f.lines) out.push_back(&l);
    return out;
  }
  for (size_t i = 0; i < max; ++i) out.push_back(&f.lines[i * n / max]);
  return out;
}

}  // namespace portcullis::bench
