// Corpus quality gate for the path and shell detectors (decoded with the shared Decoder): rates
// a little below those measured when the detectors were tuned, so a regression fails here.
// Skipped when the shared corpus is not checked out beside the repository.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "bench/rules_decode_path_shell/corpus_eval.h"

namespace portcullis::rules {
namespace {

TEST(PathShellCorpus, DetectionAndFalsePositiveRates) {
  const std::filesystem::path root = PORTCULLIS_SOURCE_DIR "/../shared/corpus";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "corpus not found at " << root;
  auto scores = eval::score_corpus(root, 3);
  ASSERT_FALSE(scores.empty());

  // Minimum detection (own detector) per attack file; measured values in the comments.
  const std::map<std::string, double> min_detection = {
      {"aikido-zen/attack-path.txt", 97.0},             // 100.0
      {"blns/attack-path.txt", 99.0},                   // 100.0
      {"coreruleset/attack-path.txt", 88.0},            // 90.6
      {"fuzzdb/attack-path.txt", 95.0},                 // 97.5
      {"payloadsallthethings/attack-path.txt", 91.0},   // 92.7
      {"aikido-zen/attack-shell.txt", 80.0},            // 83.3
      {"coreruleset/attack-shell.txt", 58.0},           // 61.5
      {"fuzzdb/attack-shell.txt", 81.0},                // 84.3
      {"payloadsallthethings/attack-shell.txt", 85.0},  // 88.0
  };
  // Maximum false positives (any detector) per benign file, where above the 1% target the
  // excess is documented label noise (see the scorer output).
  const std::map<std::string, double> max_fp = {
      {"aikido-zen/benign-path.txt", 8.0},  // "/etc/config": same shape as attack "/etc/app"
      // "tar -xzf /var/www/x /etc", ";vi -c:\!pwd", ";vi dddd silent\\ \!whoami" (vim runs
      // the shell command after '!')...
      {"coreruleset/benign-shell.txt", 3.7},
      {"fortunes-prose/benign-generic.txt", 0.2},
  };
  for (const auto& s : scores) {
    double rate = s.total ? 100.0 * (s.attack ? s.own : s.any) / s.total : 0;
    if (s.attack) {
      auto it = min_detection.find(s.name);
      if (it == min_detection.end()) continue;
      EXPECT_GE(rate, it->second) << s.name << " detection " << rate << "%";
    } else {
      auto it = max_fp.find(s.name);
      double limit = it == max_fp.end() ? 1.0 : it->second;
      EXPECT_LE(rate, limit) << s.name << " false positives " << rate << "%, e.g. "
                             << (s.examples.empty() ? "" : s.examples[0]);
    }
  }
}

}  // namespace
}  // namespace portcullis::rules
