// Data-driven tests for detect_generic (tests/rules/generic/generic_cases.txt), the Zen JS pairs,
// and API-contract checks.
#include "rules/generic/generic_detector.h"

#include <gtest/gtest.h>

#include <string>

#include "rules/generic/js_injection.h"
#include "rules/generic/template_injection.h"
#include "rules/generic/xml_injection.h"
#include "tests/support/corpus/case_file.h"

namespace portcullis::rules {
namespace {

TEST(GenericDetector, DataDrivenCases) {
  corpus::CaseFile f = corpus::read_case_file(
      PORTCULLIS_SOURCE_DIR "/tests/rules/generic/generic_cases.txt", "rn0t");
  ASSERT_TRUE(f.opened) << "missing generic_cases.txt";
  ASSERT_TRUE(f.untabbed.empty()) << f.untabbed.front();
  int cases = 0;
  for (const corpus::Case& c : f.cases) {
    const std::string& expect = c.expected;
    // Inputs are literal except for \r \n \0 \t; JS escapes such as \u0072 stay as written.
    const std::string& input = c.raw.find("\\u") != std::string::npos ? c.raw : c.input;
    auto got = detect_generic(input);
    if (expect == "none") {
      EXPECT_FALSE(got.has_value())
          << "false positive on: " << input << " (" << (got ? got->reason : "") << ")";
    } else {
      EXPECT_TRUE(got.has_value()) << "missed: " << input;
      if (got) {
        EXPECT_EQ(got->detector, Detector::kGeneric);
        EXPECT_TRUE(got->context.starts_with(expect))
            << input << ": context " << got->context << ", expected " << expect;
      }
    }
    ++cases;
  }
  EXPECT_GT(cases, 80);
}

TEST(GenericDetector, LookupResolutionIsBounded) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "${";
  deep += "jndi:ldap://x/a";
  for (int i = 0; i < 5000; ++i) deep += "}";
  (void)detect_generic(deep);  // must terminate without overflow; verdict not asserted
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "{{a}}";
  EXPECT_FALSE(detect_generic(many));
}

TEST(GenericDetector, IndividualChecksReportTheirContext) {
  auto x = detect_xml_injection("<!DOCTYPE a [<!ENTITY b SYSTEM \"file:///etc/passwd\">]>");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->context, "xml");
  auto t = detect_template_injection("{{7*7}}");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->context, "template");
  EXPECT_EQ(t->fingerprint(), "{{");
  auto j = detect_js_injection("x'); process.exit(1); //");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->context, "js-single-quote");
  EXPECT_FALSE(j->fingerprint().empty());
  EXPECT_FALSE(detect_js_injection(""));
}

}  // namespace
}  // namespace portcullis::rules
