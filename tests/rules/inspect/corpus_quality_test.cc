// Quality gate: the engine's detection and false-positive rates over ../shared/corpus must not
// regress. Thresholds sit a little below the rates measured with bench/detect_score (library
// mode); raise them when detectors improve.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "rules/inspect/engine.h"

namespace portcullis::rules {
namespace {

std::string corpus_dir() {
  if (const char* env = std::getenv("PORTCULLIS_CORPUS"); env != nullptr && *env != '\0')
    return env;
  for (std::string c : {std::string(PORTCULLIS_SOURCE_DIR) + "/../shared/corpus",
                        std::string("/work/shared/corpus")}) {
    if (std::filesystem::is_directory(c)) return c;
  }
  return "";
}

std::string unescape(const std::string& line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() &&
        (line[i + 1] == 'r' || line[i + 1] == 'n' || line[i + 1] == '0')) {
      out += line[i + 1] == 'r' ? '\r' : line[i + 1] == 'n' ? '\n' : '\0';
      ++i;
    } else {
      out += line[i];
    }
  }
  return out;
}

// Percentage of lines of one corpus file on which any detector fires.
double rate(const std::string& file) {
  std::ifstream in(corpus_dir() + "/" + file, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << file;
  InspectionEngine engine;
  InputFindings f;
  InspectOptions o;
  std::string line;
  size_t n = 0, hit = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++n;
    if (engine.inspect_query_value(unescape(line), o, f) > 0) ++hit;
  }
  return n == 0 ? 0 : 100.0 * hit / n;
}

class CorpusQuality : public ::testing::Test {
 protected:
  void SetUp() override {
    if (corpus_dir().empty()) GTEST_SKIP() << "corpus not found (set PORTCULLIS_CORPUS)";
  }
};

TEST_F(CorpusQuality, AttackDetection) {
  // Measured 2025-12 (bench/RESULTS.md): libinjection sqli 98.4, xss 97.5; PATT sqli 95.8.
  EXPECT_GE(rate("libinjection/attack-sqli.txt"), 97.5);
  EXPECT_GE(rate("libinjection/attack-xss.txt"), 96.5);
  EXPECT_GE(rate("payloadsallthethings/attack-sqli.txt"), 94.5);
  EXPECT_GE(rate("payloadsallthethings/attack-path.txt"), 91.5);
  EXPECT_GE(rate("fuzzdb/attack-path.txt"), 96.5);
  EXPECT_GE(rate("aikido-zen/attack-ssrf.txt"), 99.0);
  EXPECT_GE(rate("aikido-zen/attack-path.txt"), 99.0);
}

TEST_F(CorpusQuality, FalsePositives) {
  // Measured: fortunes 0.17%, libinjection benign 0.23%, blns 0%.
  EXPECT_LE(rate("fortunes-prose/benign-generic.txt"), 0.3);
  EXPECT_LE(rate("libinjection/benign-sqli.txt"), 0.5);
  EXPECT_LE(rate("blns/benign-generic.txt"), 0.6);
  EXPECT_LE(rate("aikido-zen/benign-sqli.txt"), 1.0);
}

}  // namespace
}  // namespace portcullis::rules
