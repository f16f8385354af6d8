// Data-driven tests for detect_path: path_cases.txt holds EXPECTED<TAB>INPUT lines.
#include "rules/path/path_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/decode/decoder.h"
#include "tests/support/corpus/case_file.h"

namespace portcullis::rules {
namespace {

TEST(PathDetector, DataDrivenCases) {
  // Inputs are written with \r \n \0 \t escaped.
  auto cases =
      corpus::read_case_file(PORTCULLIS_SOURCE_DIR "/tests/rules/path/path_cases.txt", "rn0t")
          .cases;
  ASSERT_GT(cases.size(), 40u);
  Decoder decoder;
  DecodeOptions opts;
  opts.plus_as_space = true;
  size_t positives = 0, negatives = 0;
  for (const auto& c : cases) {
    ASSERT_TRUE(c.expected == "path" || c.expected == "none") << "line " << c.line;
    auto d = decoder.decode(c.input, opts);
    auto f = detect_path(d.text);
    if (c.expected == "path") {
      ++positives;
      EXPECT_TRUE(f.has_value()) << "line " << c.line << ": expected path finding for '" << c.input
                                 << "'";
      if (f) {
        EXPECT_EQ(f->detector, Detector::kPath);
        EXPECT_FALSE(f->reason.empty());
      }
    } else {
      ++negatives;
      EXPECT_FALSE(f.has_value()) << "line " << c.line << ": unexpected finding for '" << c.input
                                  << "': " << (f ? f->reason : "");
    }
  }
  EXPECT_GT(positives, 20u);
  EXPECT_GT(negatives, 15u);
}

TEST(PathDetector, NeverReadsPastInput) {
  // A view into a larger buffer: the detector must stop at the view's end.
  std::string buf = "a/b/../../../etc/passwd";
  EXPECT_FALSE(detect_path(std::string_view(buf).substr(0, 6)).has_value());  // "a/b/.."
  EXPECT_TRUE(detect_path(buf).has_value());
  EXPECT_FALSE(detect_path("").has_value());
}

TEST(PathDetector, FingerprintNamesTheRule) {
  auto f = detect_path("../../x");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->fingerprint(), "../");
  EXPECT_EQ(f->context, "path");
}

}  // namespace
}  // namespace portcullis::rules
