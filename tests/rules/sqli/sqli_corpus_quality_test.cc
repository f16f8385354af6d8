// Detection and false-positive rates of detect_sqli on the shared corpora
// (/work/shared/corpus, see its README). Thresholds sit a little below what the detector
// achieves, so a regression fails here; the per-file table comes from bench/rules_sqli/sqli_score.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/sqli/sqli_detector.h"
#include "tests/support/corpus/corpus.h"

namespace portcullis::rules {
namespace {

const std::string kCorpus = PORTCULLIS_SOURCE_DIR "/../shared/corpus/";

// Percentage of lines flagged; -1 when the file is missing.
double flagged_percent(const std::string& file) {
  std::vector<std::string> inputs;
  // Form-decoded ('+' is a space unless the line holds a raw space), as the proxy does.
  if (!corpus::read_decoded(kCorpus + file, corpus::Plus::kSpaceUnlessRawSpace, inputs) ||
      inputs.empty())
    return -1;
  size_t n = 0;
  for (const std::string& in : inputs) n += detect_sqli(in).has_value();
  return 100.0 * static_cast<double>(n) / static_cast<double>(inputs.size());
}

struct Expectation {
  const char* file;
  double bound;  // attack: minimum detection %; benign: maximum false-positive %
};

constexpr Expectation kAttacks[] = {
    {"libinjection/attack-sqli.txt", 99.0}, {"payloadsallthethings/attack-sqli.txt", 95.5},
    {"fuzzdb/attack-sqli.txt", 88},         {"aikido-zen/attack-sqli.txt", 70.5},
    {"coreruleset/attack-sqli.txt", 37},    {"blns/attack-sqli.txt", 99},
};

constexpr Expectation kBenign[] = {
    {"libinjection/benign-sqli.txt", 0.5}, {"coreruleset/benign-sqli.txt", 6},
    {"aikido-zen/benign-sqli.txt", 1},     {"fortunes-prose/benign-generic.txt", 0.05},
    {"blns/benign-generic.txt", 0.5},      {"coreruleset/benign-generic.txt", 1},
    {"coreruleset/benign-xss.txt", 1},     {"coreruleset/benign-shell.txt", 1},
};

class SqliCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    if (flagged_percent("libinjection/attack-sqli.txt") < 0) {
      GTEST_SKIP() << "corpus not found at " << kCorpus << " (shared/ beside the checkout)";
    }
  }
};

TEST_F(SqliCorpus, DetectionOnAttackFiles) {
  for (const Expectation& e : kAttacks) {
    double p = flagged_percent(e.file);
    ASSERT_GE(p, 0) << e.file << " missing";
    EXPECT_GE(p, e.bound) << e.file;
    std::printf("%-40s detection %6.2f%%\n", e.file, p);
  }
}

TEST_F(SqliCorpus, FalsePositivesOnBenignFiles) {
  for (const Expectation& e : kBenign) {
    double p = flagged_percent(e.file);
    ASSERT_GE(p, 0) << e.file << " missing";
    EXPECT_LE(p, e.bound) << e.file;
    std::printf("%-40s false positives %6.2f%%\n", e.file, p);
  }
}

}  // namespace
}  // namespace portcullis::rules
