// The detection corpus (../shared/corpus/README.md): one folder per source, attack-<class>.txt and
// benign-<class>.txt files, one input per line with CR, LF and NUL written as \r, \n, \0.
#pragma once

#include <string>
#include <vector>

namespace portcullis::bench {

struct CorpusFile {
  std::string folder;  // "libinjection"
  std::string name;    // "attack-sqli.txt"
  std::string cls;     // "sqli"
  bool attack = false;
  std::vector<std::string> lines;  // unescaped
};

// PORTCULLIS_CORPUS, else <repo>/../shared/corpus, else /work/shared/corpus; empty if none exists.
std::string find_corpus(const std::string& repo_dir);

// Every attack-*.txt / benign-*.txt under `dir`, sorted by folder then name.
std::vector<CorpusFile> load_corpus(const std::string& dir);

// Undoes the corpus escaping of CR, LF and NUL.
std::string unescape_line(const std::string& line);

// Up to `max` lines evenly spaced over the file (all when it has fewer).
std::vector<const std::string*> sample(const CorpusFile& f, size_t max);

}  // namespace portcullis::bench
