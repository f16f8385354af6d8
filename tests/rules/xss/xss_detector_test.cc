// Data-driven tests for detect_xss (tests/rules/xss/xss_cases.txt) plus API-contract checks.
#include "rules/xss/xss_detector.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/corpus/case_file.h"

namespace portcullis::rules {
namespace {

TEST(XssDetector, DataDrivenCases) {
  corpus::CaseFile f =
      corpus::read_case_file(PORTCULLIS_SOURCE_DIR "/tests/rules/xss/xss_cases.txt", "rn0t");
  ASSERT_TRUE(f.opened) << "missing xss_cases.txt";
  ASSERT_TRUE(f.untabbed.empty()) << f.untabbed.front();
  int cases = 0;
  for (const corpus::Case& c : f.cases) {
    const std::string& expect = c.expected;
    const std::string& input = c.input;
    auto got = detect_xss(input);
    if (expect == "none") {
      EXPECT_FALSE(got.has_value())
          << "false positive on: " << input << " (" << (got ? got->reason : "") << ")";
    } else {
      ASSERT_EQ(expect, "xss");
      EXPECT_TRUE(got.has_value()) << "missed: " << input;
      if (got) EXPECT_EQ(got->detector, Detector::kXss);
    }
    ++cases;
  }
  EXPECT_GT(cases, 80);
}

TEST(XssDetector, FindingCarriesContextReasonAndFingerprint) {
  auto f = detect_xss("\" onmouseover=alert(1) x=\"");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->context, "attr-double-quote");
  EXPECT_FALSE(f->reason.empty());
  EXPECT_FALSE(f->fingerprint().empty());
  auto g = detect_xss("<img src=x onerror=alert(1)>");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->context, "html");
}

TEST(XssDetector, DoesNotNeedTerminatorAndHandlesEmbeddedNul) {
  static const char kInput[] = "<img src=x one\0rror=1 onerror=alert(1)>";
  std::string s(kInput, sizeof(kInput) - 1);  // the embedded NUL included, the terminator not
  EXPECT_TRUE(detect_xss(std::string_view(s)));
  std::string_view cut("<b>hello</b><scriptX", 12);  // only "<b>hello</b>" is visible
  EXPECT_FALSE(detect_xss(cut));
}

TEST(XssDetector, LongBenignInputIsBounded) {
  std::string s(1 << 20, 'a');
  for (size_t i = 0; i < s.size(); i += 97) s[i] = '<';
  EXPECT_FALSE(detect_xss(s));
}

}  // namespace
}  // namespace portcullis::rules
