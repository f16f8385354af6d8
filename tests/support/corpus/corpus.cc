#include "tests/support/corpus/corpus.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace portcullis::corpus {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

namespace {

std::string percent_decode_once(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
      out += static_cast<char>(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
      i += 2;
    } else if (in[i] == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return out;
}

}  // namespace

std::string unescape(std::string_view s, std::string_view escapes) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && escapes.find(s[i + 1]) != std::string_view::npos) {
      char n = s[++i];
      out += n == 'r' ? '\r' : n == 'n' ? '\n' : n == 't' ? '\t' : n == '\\' ? '\\' : '\0';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string corpus_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv("PORTCULLIS_CORPUS"); env != nullptr && *env != '\0') {
    return fs::is_directory(env, ec) ? env : "";
  }
  for (const std::string& c : {std::string(PORTCULLIS_SOURCE_DIR "/../shared/corpus"),
                               std::string("/work/shared/corpus")}) {
    if (fs::is_directory(c, ec)) return c;
  }
  return "";
}

bool read_lines(const std::string& path, std::vector<std::string>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return true;
}

std::vector<std::string> read_unescaped(const std::string& path) {
  std::vector<std::string> lines;
  read_lines(path, lines);
  for (std::string& l : lines) l = unescape(l);
  return lines;
}

std::string percent_decode(std::string_view s, bool plus_as_space, int max_rounds) {
  std::string cur(s);
  for (int round = 0; round < max_rounds; ++round) {
    std::string next = percent_decode_once(cur, plus_as_space);
    if (next == cur) break;
    cur = std::move(next);
  }
  return cur;
}

std::string decode_line(std::string_view escaped, Plus plus) {
  std::string s = unescape(escaped);
  bool plus_as_space = plus == Plus::kSpaceUnlessRawSpace && s.find(' ') == std::string::npos;
  return percent_decode(s, plus_as_space);
}

bool read_decoded(const std::string& path, Plus plus, std::vector<std::string>& out) {
  std::vector<std::string> lines;
  if (!read_lines(path, lines)) return false;
  for (const std::string& l : lines) out.push_back(decode_line(l, plus));
  return true;
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
      f.lines = read_unescaped(file.path().string());
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

}  // namespace portcullis::corpus
