// Data-driven tests of detect_ssrf (ssrf_cases.tsv), libinjection style: one input per line with
// the expected verdict, hard negatives beside the attacks.
#include "rules/ssrf/ssrf_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/corpus/case_file.h"

namespace portcullis::rules {
namespace {

TEST(SsrfDetector, DataDrivenCases) {
  // Inputs are written with \r \n \0 and \\ escaped.
  auto cases =
      corpus::read_case_file(PORTCULLIS_SOURCE_DIR "/tests/rules/ssrf/ssrf_cases.tsv", "rn0\\")
          .cases;
  ASSERT_GT(cases.size(), 150u);
  for (const corpus::Case& c : cases) {
    auto f = detect_ssrf(c.input);
    std::string got = f ? "ssrf" : "none";
    EXPECT_EQ(got, c.expected) << "ssrf_cases.tsv:" << c.line << " input: " << c.input
                               << (f ? " reason: " + std::string(f->reason) + " [" +
                                           std::string(f->fingerprint()) + "]"
                                     : std::string());
  }
}

TEST(SsrfDetector, FindingCarriesContextReasonAndHost) {
  auto f = detect_ssrf("http://0x7f.1/admin");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->detector, Detector::kSsrf);
  EXPECT_EQ(f->context, "url");
  EXPECT_EQ(f->reason, "loopback address");
  EXPECT_EQ(f->fingerprint(), "0x7f.1");

  f = detect_ssrf("169.254.169.254");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->context, "host");
  EXPECT_EQ(f->reason, "cloud metadata endpoint");

  f = detect_ssrf("gopher://example.com/_x");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->context, "scheme");
}

TEST(SsrfDetector, NeedsNoTerminatorAndHandlesEmbeddedNul) {
  std::string buf = "http://127.0.0.1XXXX";
  EXPECT_TRUE(detect_ssrf(std::string_view(buf.data(), 16)));
  std::string with_nul("http://evil.com\0@127.0.0.1", 26);
  EXPECT_TRUE(detect_ssrf(with_nul));  // C clients stop at NUL; others take the host after '@'
  EXPECT_FALSE(detect_ssrf(std::string_view()));
}

TEST(SsrfDetector, HugeHostIsBoundedAndFlagged) {
  std::string pad(5000, '0');
  EXPECT_TRUE(detect_ssrf("http://" + pad + "177.0.0.1/"));
  std::string many_colons(100000, ':');
  EXPECT_FALSE(detect_ssrf(many_colons));
}

}  // namespace
}  // namespace portcullis::rules
