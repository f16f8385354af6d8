// Corpus quality gate for the SSRF, NoSQL and prototype-pollution detectors: detection and
// false-positive rates on shared/corpus, each asserted slightly below what the detectors reach
// today so a regression fails the build. See bench/rules_ssrf_objects for the scorer.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "bench/rules_ssrf_objects/corpus_feed.h"

namespace portcullis::rules::corpus {
namespace {

const std::string kCorpus = PORTCULLIS_SOURCE_DIR "/../shared/corpus";

struct Rate {
  int lines = 0;
  int hits = 0;
  double percent() const { return lines ? 100.0 * hits / lines : 0.0; }
};

Rate score(const std::string& rel, Detector cls, bool attack) {
  simdjson::dom::parser parser;
  Rate r;
  for (const std::string& line : read_lines(kCorpus + "/" + rel)) {
    Verdict v = evaluate_line(line, parser);
    bool hit = !attack                   ? v.any()
               : cls == Detector::kSsrf  ? v.ssrf
               : cls == Detector::kNosql ? v.nosql
                                         : v.proto;
    ++r.lines;
    r.hits += hit;
  }
  return r;
}

class CorpusQuality : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kCorpus)) GTEST_SKIP() << "corpus not found at " << kCorpus;
  }
};

TEST_F(CorpusQuality, DetectionPerAttackSource) {
  struct {
    const char* file;
    Detector cls;
    double min_percent;
  } targets[] = {
      {"aikido-zen/attack-ssrf.txt", Detector::kSsrf, 98.0},
      {"payloadsallthethings/attack-ssrf.txt", Detector::kSsrf, 95.0},
      // 27 of the 29 misses are URLs to public hosts or not URLs at all (CRS RFI tests such as
      // "https://foo.bar", "ftp?", "_CONF[path]"); a Zen-style detector must let them pass.
      {"coreruleset/attack-ssrf.txt", Detector::kSsrf, 68.0},
      {"coreruleset/attack-nosql.txt", Detector::kNosql, 95.0},
      {"fuzzdb/attack-nosql.txt", Detector::kNosql, 95.0},
      {"payloadsallthethings/attack-nosql.txt", Detector::kNosql, 92.0},
      {"coreruleset/attack-proto.txt", Detector::kProto, 90.0},
      {"payloadsallthethings/attack-proto.txt", Detector::kProto, 95.0},
  };
  for (auto& t : targets) {
    Rate r = score(t.file, t.cls, /*attack=*/true);
    ASSERT_GT(r.lines, 0) << t.file;
    EXPECT_GE(r.percent(), t.min_percent) << t.file << ": " << r.hits << "/" << r.lines;
  }
}

TEST_F(CorpusQuality, FalsePositivesPerBenignFile) {
  int files = 0;
  for (auto& dir : std::filesystem::directory_iterator(kCorpus)) {
    if (!dir.is_directory()) continue;
    for (auto& entry : std::filesystem::directory_iterator(dir.path())) {
      std::string name = entry.path().filename().string();
      if (name.rfind("benign-", 0) != 0 || entry.path().extension() != ".txt") continue;
      std::string rel = dir.path().filename().string() + "/" + name;
      Rate r = score(rel, Detector::kGeneric, /*attack=*/false);
      double limit = 1.0;
      if (rel == "fortunes-prose/benign-generic.txt") limit = 0.2;
      // CRS labels metadata URLs (http://169.254.169.254/latest, http://metadata.google.internal)
      // and bare "localhost" benign because its own rule only targets other spellings; flagging
      // them is the point of this detector (9 of 20 lines).
      if (rel == "coreruleset/benign-ssrf.txt") limit = 50.0;
      EXPECT_LE(r.percent(), limit) << rel << ": " << r.hits << "/" << r.lines;
      ++files;
    }
  }
  EXPECT_GT(files, 10);
}

}  // namespace
}  // namespace portcullis::rules::corpus
