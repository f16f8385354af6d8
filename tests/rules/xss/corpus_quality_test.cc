// Corpus quality gate for detect_xss / detect_generic on shared/corpus (skipped if absent).
// Thresholds sit slightly below the rates measured when this was written (see the scorer in
// bench/rules_xss_generic), so a regression fails and noise does not.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bench/rules_xss_generic/corpus.h"
#include "rules/generic/generic_detector.h"
#include "rules/xss/xss_detector.h"

namespace portcullis::rules {
namespace {

const std::string kCorpus = PORTCULLIS_SOURCE_DIR "/../shared/corpus";

enum class Which { kXss, kGeneric, kEither };

// Percentage of lines flagged; -1 if the file is missing.
double rate(const std::string& rel, Which which) {
  std::vector<corpus::Line> lines;
  if (!corpus::read_corpus(kCorpus + "/" + rel, lines) || lines.empty()) return -1;
  size_t hits = 0;
  for (const auto& l : lines) {
    bool hit = false;
    for (const std::string* s : {&l.decoded, &l.entity_decoded}) {
      if (which != Which::kGeneric && detect_xss(*s)) hit = true;
      if (which != Which::kXss && detect_generic(*s)) hit = true;
    }
    hits += hit;
  }
  return 100.0 * static_cast<double>(hits) / static_cast<double>(lines.size());
}

class CorpusQuality : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kCorpus)) GTEST_SKIP() << "no corpus at " << kCorpus;
  }
};

TEST_F(CorpusQuality, XssDetection) {
  struct {
    const char* file;
    double min;
  } cases[] = {
      {"libinjection/attack-xss.txt", 94.5},
      {"blns/attack-xss.txt", 95.0},
      {"payloadsallthethings/attack-xss.txt", 84.0},
      {"fuzzdb/attack-xss.txt", 84.5},
      // CRS regression payloads are mostly rule fragments (`  onload= `, `<f o r m`); see report.
      {"coreruleset/attack-xss.txt", 40.0},
  };
  for (const auto& c : cases) {
    double r = rate(c.file, Which::kXss);
    if (r < 0) continue;
    EXPECT_GE(r, c.min) << c.file;
  }
}

TEST_F(CorpusQuality, GenericDetection) {
  struct {
    const char* file;
    double min;
  } cases[] = {
      {"aikido-zen/attack-generic.txt", 84.0},
      {"payloadsallthethings/attack-generic.txt", 70.0},
      {"fuzzdb/attack-generic.txt", 36.0},
      {"coreruleset/attack-generic.txt", 15.0},
  };
  for (const auto& c : cases) {
    double r = rate(c.file, Which::kGeneric);
    if (r < 0) continue;
    EXPECT_GE(r, c.min) << c.file;
  }
}

TEST_F(CorpusQuality, FalsePositives) {
  int files = 0;
  for (const auto& src : std::filesystem::directory_iterator(kCorpus)) {
    if (!src.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(src.path())) {
      const std::string name = f.path().filename().string();
      if (!name.starts_with("benign-") || f.path().extension() != ".txt") continue;
      const std::string rel = src.path().filename().string() + "/" + name;
      double limit = 1.0;
      if (rel == "fortunes-prose/benign-generic.txt") limit = 0.2;
      // Two of its 98 "benign" lines are real XSS payloads (`<script ...>` and
      // `url(javascript:alert(1))`); see report.
      if (rel == "coreruleset/benign-xss.txt") limit = 2.1;
      // `http:0xABCDEF` and `http:0xA9.0xFE.0xA9` (2 of 20) are metadata-address SSRF payloads in
      // legacy spellings; the ssrf detector flags them too. The generic open-redirect check sees
      // a special scheme without `//` and a hex host.
      if (rel == "coreruleset/benign-ssrf.txt") limit = 10.1;
      EXPECT_LE(rate(rel, Which::kEither), limit) << rel;
      ++files;
    }
  }
  EXPECT_GT(files, 5);
}

}  // namespace
}  // namespace portcullis::rules
