// Prints per-file detection and false-positive rates of detect_path / detect_shell over the
// shared corpus. Usage: score_path_shell [corpus_dir] [--show N]
//   --show N  also prints up to N misses (attack files) or false positives (benign files).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/rules_decode_path_shell/corpus_eval.h"

int main(int argc, char** argv) {
  std::string root = PORTCULLIS_SOURCE_DIR "/../shared/corpus";
  size_t show = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--show") == 0 && i + 1 < argc) {
      show = static_cast<size_t>(std::atoi(argv[++i]));
    } else {
      root = argv[i];
    }
  }
  if (!std::filesystem::exists(root)) {
    std::fprintf(stderr, "corpus not found: %s\n", root.c_str());
    return 2;
  }
  auto scores = portcullis::rules::eval::score_corpus(root, show);
  std::printf("%-42s %7s %9s %9s\n", "file", "lines", "own-rate", "any-rate");
  for (const auto& s : scores) {
    double own = s.total ? 100.0 * s.own / s.total : 0;
    double any = s.total ? 100.0 * s.any / s.total : 0;
    if (s.attack) {
      std::printf("%-42s %7zu %8.2f%% %8.2f%%  (detection)\n", s.name.c_str(), s.total, own, any);
    } else {
      std::printf("%-42s %7zu %9s %8.2f%%  (false positives)\n", s.name.c_str(), s.total, "-", any);
    }
    for (const auto& e : s.examples) {
      std::string shown = e.substr(0, 160);
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20) c = '~';
      std::string why;
      if (!s.attack) {
        portcullis::rules::Decoder d;
        auto dec = d.decode(e, portcullis::rules::eval::corpus_decode_options());
        auto f = portcullis::rules::detect_shell(dec.text);
        if (!f) f = portcullis::rules::detect_path(dec.text);
        if (f)
          why = std::string(" [") + std::string(portcullis::rules::detector_name(f->detector)) +
                "/" + std::string(f->context) + ": " + std::string(f->reason) + " '" +
                std::string(f->fingerprint()) + "']";
      }
      std::printf("    %s %s%s\n", s.attack ? "MISS" : "FP  ", shown.c_str(), why.c_str());
    }
  }
  return 0;
}
