// Data-driven cases (sqli_cases.txt) plus properties of the Finding and explain output.
#include "rules/sqli/sqli_detector.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace portcullis::rules {
namespace {

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[i + 1];
      if (n == 'n' || n == 'r' || n == 't' || n == '0' || n == '\\') {
        out += n == 'n' ? '\n' : n == 'r' ? '\r' : n == 't' ? '\t' : n == '0' ? '\0' : '\\';
        ++i;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

struct Case {
  bool sqli;
  std::string input;
  int line;
};

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::ifstream f(PORTCULLIS_SOURCE_DIR "/tests/rules/sqli/sqli_cases.txt");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    cases.push_back({line.substr(0, tab) == "sqli", unescape(line.substr(tab + 1)), n});
  }
  return cases;
}

TEST(SqliDetector, DataFileCases) {
  std::vector<Case> cases = load_cases();
  ASSERT_GT(cases.size(), 100u) << "sqli_cases.txt missing or short";
  for (const Case& c : cases) {
    auto r = detect_sqli(c.input);
    std::string why;
    if (r) {
      why = std::string(r->context) + ": " + std::string(r->reason) + " [" +
            std::string(r->fingerprint()) + "]";
    }
    EXPECT_EQ(r.has_value(), c.sqli) << "line " << c.line << ": " << c.input << "  " << why;
  }
}

TEST(SqliDetector, FindingCarriesContextReasonAndFingerprint) {
  auto r = detect_sqli("' OR 1=1--");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->detector, Detector::kSqli);
  EXPECT_EQ(r->context, "single-quote");
  EXPECT_FALSE(r->reason.empty());
  EXPECT_EQ(r->fingerprint().substr(0, 5), "s&1=1");

  auto bare = detect_sqli("1 UNION SELECT 1,2--");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->context, "bare");
  EXPECT_EQ(bare->reason, "UNION SELECT");
}

TEST(SqliDetector, EmptyAndBinaryInputs) {
  EXPECT_FALSE(detect_sqli("").has_value());
  std::string nul("a\0b'\0c", 6);
  EXPECT_FALSE(detect_sqli(nul).has_value());
  std::string bin;
  for (int i = 0; i < 256; ++i) bin += static_cast<char>(i);
  (void)detect_sqli(bin);  // must not crash; verdict unspecified
  // NUL as whitespace between tokens must not hide an injection.
  std::string nul_sep = "1 OR 1=1";
  nul_sep[1] = '\0';
  nul_sep[4] = '\0';
  EXPECT_TRUE(detect_sqli(nul_sep).has_value());
}

TEST(SqliDetector, OnlyFirstBytesExamined) {
  std::string padded(kSqliMaxExaminedBytes, 'a');
  padded += "' OR 1=1--";
  EXPECT_FALSE(detect_sqli(padded).has_value());
  std::string early = "' OR 1=1--" + std::string(100000, ' ');
  EXPECT_TRUE(detect_sqli(early).has_value());
}

TEST(SqliDetector, BackslashEscapesAreTriedBothWays) {
  // ANSI: \' does not escape, so the quote breaks out.
  EXPECT_TRUE(detect_sqli("x\\' OR 1=1--").has_value());
  // MySQL: \' escapes, then the real quote breaks out.
  EXPECT_TRUE(detect_sqli("\\'' OR 1=1--").has_value());
}

TEST(SqliExplain, ShowsTokensAndDecisionPerContext) {
  std::string out;
  explain_sqli("' OR 1=1--", out);
  EXPECT_NE(out.find("context bare:"), std::string::npos);
  EXPECT_NE(out.find("context single-quote:"), std::string::npos);
  EXPECT_NE(out.find("[& OR]"), std::string::npos);
  EXPECT_NE(out.find("INJECTION"), std::string::npos);
  EXPECT_NE(out.find("verdict: sqli"), std::string::npos);

  std::string clean;
  explain_sqli("O'Reilly's book", clean);
  EXPECT_NE(clean.find("verdict: clean"), std::string::npos);
  EXPECT_EQ(clean.find("INJECTION"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::rules
