// sqli_score [corpus_dir] [--show-misses] [--show-fp]: per-file detection and false-positive
// rates of detect_sqli on the shared corpora. Inputs are decoded like the proxy would.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "rules/sqli/sqli_detector.h"
#include "tests/support/corpus/corpus.h"

namespace {

struct File {
  const char* path;
  bool attack;
};

constexpr File kFiles[] = {
    {"libinjection/attack-sqli.txt", true},
    {"coreruleset/attack-sqli.txt", true},
    {"payloadsallthethings/attack-sqli.txt", true},
    {"fuzzdb/attack-sqli.txt", true},
    {"aikido-zen/attack-sqli.txt", true},
    {"blns/attack-sqli.txt", true},
    {"libinjection/benign-sqli.txt", false},
    {"coreruleset/benign-sqli.txt", false},
    {"aikido-zen/benign-sqli.txt", false},
    {"fortunes-prose/benign-generic.txt", false},
    {"blns/benign-generic.txt", false},
    {"coreruleset/benign-generic.txt", false},
    {"coreruleset/benign-xss.txt", false},
    {"coreruleset/benign-shell.txt", false},
    {"coreruleset/benign-path.txt", false},
    {"coreruleset/benign-ssrf.txt", false},
    {"coreruleset/benign-nosql.txt", false},
    {"coreruleset/benign-proto.txt", false},
};

void print_escaped(const std::string& s) {
  for (unsigned char c : s) {
    if (c == '\n')
      std::fputs("\\n", stdout);
    else if (c == '\r')
      std::fputs("\\r", stdout);
    else if (c == 0)
      std::fputs("\\0", stdout);
    else
      std::putchar(c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = PORTCULLIS_SOURCE_DIR "/../shared/corpus";
  bool show_misses = false, show_fp = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--show-misses") == 0)
      show_misses = true;
    else if (std::strcmp(argv[i], "--show-fp") == 0)
      show_fp = true;
    else
      dir = argv[i];
  }
  std::printf("%-40s %7s %7s %8s\n", "file", "lines", "flagged", "rate");
  for (const File& f : kFiles) {
    std::vector<std::string> inputs;
    if (!portcullis::corpus::read_decoded(dir + "/" + f.path,
                                          portcullis::corpus::Plus::kSpaceUnlessRawSpace, inputs)) {
      std::printf("%-40s missing\n", f.path);
      continue;
    }
    size_t flagged = 0;
    for (const std::string& in : inputs) {
      auto r = portcullis::rules::detect_sqli(in);
      if (r) ++flagged;
      bool show = f.attack ? (!r && show_misses) : (r && show_fp);
      if (show) {
        std::printf("%s %s ", f.attack ? "MISS" : "FP  ", f.path);
        if (r) {
          std::printf("[%.*s %.*s %.*s] ", static_cast<int>(r->context.size()), r->context.data(),
                      static_cast<int>(r->reason.size()), r->reason.data(),
                      static_cast<int>(r->fingerprint().size()), r->fingerprint().data());
        }
        print_escaped(in);
        std::putchar('\n');
      }
    }
    double rate = inputs.empty() ? 0 : 100.0 * flagged / inputs.size();
    std::printf("%-40s %7zu %7zu %7.2f%% %s\n", f.path, inputs.size(), flagged, rate,
                f.attack ? "detection" : "false positives");
  }
  return 0;
}
