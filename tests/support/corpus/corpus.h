// The shared detection corpora (../shared/corpus/README.md): one folder per source, holding
// attack-<class>.txt and benign-<class>.txt, one input per line with CR, LF and NUL written as
// \r, \n, \0. One reader for every corpus-quality test and scorer, so they all count the same
// lines the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::corpus {

// Escape letters understood by unescape(): 'r' 'n' '0' 't' and '\\'. The corpora use "rn0".
inline constexpr std::string_view kCorpusEscapes = "rn0";

// Replaces a backslash followed by one of `escapes` with the byte it names; any other backslash
// stays as written (so "\u0072" or "\x41" in a payload survive).
std::string unescape(std::string_view s, std::string_view escapes = kCorpusEscapes);

// Value of a hex digit, -1 for any other byte.
int hexval(char c);

// PORTCULLIS_CORPUS if set (empty when it is not a directory), else <repo>/../shared/corpus,
// else /work/shared/corpus; empty when none exists.
std::string corpus_dir();

// The non-empty lines of a corpus file, still escaped (a trailing CR is dropped). False when the
// file cannot be opened.
bool read_lines(const std::string& path, std::vector<std::string>& out);

// read_lines() with each line unescaped; empty when the file cannot be opened.
std::vector<std::string> read_unescaped(const std::string& path);

// Percent-decoding (%XX) for up to `max_rounds` rounds, stopping when a round changes nothing:
// corpus lines are often URL-encoded once or twice, and the proxy decodes before detectors run.
// plus_as_space: form encoding ('+' is a space).
std::string percent_decode(std::string_view s, bool plus_as_space, int max_rounds = 3);

enum class Plus {
  kLiteral,              // '+' stays '+' (inputs such as "{{7+7}}" must stay intact)
  kSpaceUnlessRawSpace,  // form encoding, unless the line holds a raw space ("1+1" is a plus)
};

// unescape() then percent_decode() (3 rounds).
std::string decode_line(std::string_view escaped, Plus plus);

// read_lines() with each line decoded by decode_line(); false when the file cannot be opened.
bool read_decoded(const std::string& path, Plus plus, std::vector<std::string>& out);

// One corpus file, loaded whole.
struct CorpusFile {
  std::string folder;  // "libinjection"
  std::string name;    // "attack-sqli.txt"
  std::string cls;     // "sqli"
  bool attack = false;
  std::vector<std::string> lines;  // unescaped
};

// Every attack-*.txt / benign-*.txt under `dir`, sorted by folder then name.
std::vector<CorpusFile> load_corpus(const std::string& dir);

// Up to `max` lines evenly spaced over the file (all when it has fewer).
std::vector<const std::string*> sample(const CorpusFile& f, size_t max);

}  // namespace portcullis::corpus
