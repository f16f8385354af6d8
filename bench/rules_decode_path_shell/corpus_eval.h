// Corpus evaluation shared by the scorer executable and the corpus-quality test: loads the
// shared corpus files (one input per line, \r \n \0 escaped), decodes each line once with the
// query-string options, and runs the path and shell detectors.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/decode/decoder.h"
#include "rules/path/path_detector.h"
#include "rules/shell/shell_detector.h"
#include "tests/support/corpus/corpus.h"

namespace portcullis::rules::eval {

inline DecodeOptions corpus_decode_options() {
  DecodeOptions o;
  o.plus_as_space = true;  // corpus lines are sent as query / form values
  o.json_escapes = true;
  return o;
}

struct Verdict {
  bool path = false;
  bool shell = false;
  bool any() const { return path || shell; }
};

inline Verdict judge(Decoder& decoder, std::string_view raw) {
  Decoded d = decoder.decode(raw, corpus_decode_options());
  Verdict v;
  v.path = detect_path(d.text).has_value();
  v.shell = detect_shell(d.text).has_value();
  return v;
}

struct FileScore {
  std::string name;     // "<source>/<file>"
  bool attack = false;  // attack-* file: rate is detection; benign-*: rate is false positives
  std::string cls;      // "path", "shell" or the benign class
  size_t total = 0;
  size_t own = 0;                     // flagged by the class's own detector (attack files)
  size_t any = 0;                     // flagged by any of the two detectors
  std::vector<std::string> examples;  // misses (attack) or false positives (benign)
};

// Scores every attack-path/attack-shell and benign-* file below |root|.
inline std::vector<FileScore> score_corpus(const std::filesystem::path& root,
                                           size_t keep_examples = 0) {
  std::vector<FileScore> scores;
  std::vector<std::filesystem::path> files;
  for (const auto& dir : std::filesystem::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      std::string n = f.path().filename().string();
      if (n == "attack-path.txt" || n == "attack-shell.txt" ||
          (n.rfind("benign-", 0) == 0 && n.size() > 11 && n.substr(n.size() - 4) == ".txt"))
        files.push_back(f.path());
    }
  }
  std::sort(files.begin(), files.end());
  Decoder decoder;
  for (const auto& f : files) {
    FileScore s;
    std::string n = f.filename().string();
    s.name = f.parent_path().filename().string() + "/" + n;
    s.attack = n.rfind("attack-", 0) == 0;
    s.cls = n.substr(n.find('-') + 1, n.size() - n.find('-') - 5);
    for (const auto& line : ::portcullis::corpus::read_unescaped(f.string())) {
      Verdict v = judge(decoder, line);
      ++s.total;
      bool own = s.cls == "path" ? v.path : s.cls == "shell" ? v.shell : v.any();
      if (own) ++s.own;
      if (v.any()) ++s.any;
      bool example = s.attack ? !own : v.any();
      if (example && s.examples.size() < keep_examples) s.examples.push_back(line);
    }
    scores.push_back(std::move(s));
  }
  return scores;
}

}  // namespace portcullis::rules::eval
