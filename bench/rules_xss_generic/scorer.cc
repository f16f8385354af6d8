// Prints per-file detection / false-positive rates of detect_xss and detect_generic on the shared
// corpora. Usage: xss_generic_scorer [corpus_dir] [--show-misses|--show-fps FILE_SUBSTRING]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/rules_xss_generic/corpus.h"
#include "rules/generic/generic_detector.h"
#include "rules/xss/xss_detector.h"

namespace fs = std::filesystem;
using portcullis::rules::detect_generic;
using portcullis::rules::detect_xss;

int main(int argc, char** argv) {
  std::string dir = PORTCULLIS_SOURCE_DIR "/../shared/corpus";
  std::string show_mode, show_filter;
  for (int i = 1; i < argc; ++i) {
    if ((!std::strcmp(argv[i], "--show-misses") || !std::strcmp(argv[i], "--show-fps")) &&
        i + 1 < argc) {
      show_mode = argv[i];
      show_filter = argv[++i];
    } else {
      dir = argv[i];
    }
  }
  std::vector<fs::path> files;
  for (auto& src : fs::directory_iterator(dir)) {
    if (!src.is_directory()) continue;
    for (auto& f : fs::directory_iterator(src.path())) {
      std::string name = f.path().filename().string();
      if (f.path().extension() == ".txt" &&
          (name.starts_with("attack-") || name.starts_with("benign-"))) {
        files.push_back(f.path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  std::printf("%-42s %6s %8s %8s %8s\n", "file", "lines", "xss", "generic", "either");
  for (const auto& p : files) {
    std::string name = p.parent_path().filename().string() + "/" + p.filename().string();
    bool attack = p.filename().string().starts_with("attack-");
    bool relevant =
        name.find("xss") != std::string::npos || name.find("generic") != std::string::npos;
    if (attack && !relevant) continue;
    std::vector<portcullis::corpus::Line> lines;
    if (!portcullis::corpus::read_corpus(p.string(), lines)) continue;
    size_t x = 0, g = 0, e = 0;
    for (const auto& l : lines) {
      // A finding on either the percent-decoded or the entity-decoded form counts: the proxy's
      // decoder produces both.
      auto fx = detect_xss(l.decoded);
      if (!fx && l.entity_decoded != l.decoded) fx = detect_xss(l.entity_decoded);
      auto fg = detect_generic(l.decoded);
      if (!fg && l.entity_decoded != l.decoded) fg = detect_generic(l.entity_decoded);
      x += fx.has_value();
      g += fg.has_value();
      e += fx || fg;
      if (!show_mode.empty() && name.find(show_filter) != std::string::npos) {
        bool hit = fx || fg;
        if (show_mode == "--show-misses" && !hit) std::printf("MISS %s\n", l.raw.c_str());
        if (show_mode == "--show-fps" && hit) {
          const auto& f = fx ? *fx : *fg;
          std::printf("FP [%s %.*s: %.*s] %s\n", fx ? "xss" : "generic",
                      static_cast<int>(f.context.size()), f.context.data(),
                      static_cast<int>(f.reason.size()), f.reason.data(), l.raw.c_str());
        }
      }
    }
    double n = lines.empty() ? 1 : static_cast<double>(lines.size());
    std::printf("%-42s %6zu %7.2f%% %7.2f%% %7.2f%%\n", name.c_str(), lines.size(), 100.0 * x / n,
                100.0 * g / n, 100.0 * e / n);
  }
  return 0;
}
