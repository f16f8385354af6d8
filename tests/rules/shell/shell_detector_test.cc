// Data-driven tests for detect_shell: shell_cases.txt holds EXPECTED<TAB>INPUT lines.
#include "rules/shell/shell_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/decode/decoder.h"
#include "tests/support/corpus/case_file.h"

namespace portcullis::rules {
namespace {

TEST(ShellDetector, DataDrivenCases) {
  // Inputs are written with \r \n \0 \t escaped.
  auto cases =
      corpus::read_case_file(PORTCULLIS_SOURCE_DIR "/tests/rules/shell/shell_cases.txt", "rn0t")
          .cases;
  ASSERT_GT(cases.size(), 40u);
  Decoder decoder;
  DecodeOptions opts;
  opts.plus_as_space = true;
  size_t positives = 0, negatives = 0;
  for (const auto& c : cases) {
    ASSERT_TRUE(c.expected == "shell" || c.expected == "none") << "line " << c.line;
    auto d = decoder.decode(c.input, opts);
    auto f = detect_shell(d.text);
    if (c.expected == "shell") {
      ++positives;
      EXPECT_TRUE(f.has_value()) << "line " << c.line << ": expected shell finding for '" << c.input
                                 << "'";
      if (f) {
        EXPECT_EQ(f->detector, Detector::kShell);
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

TEST(ShellDetector, NeverReadsPastInput) {
  std::string buf = "hello; cat /etc/passwd";
  EXPECT_FALSE(detect_shell(std::string_view(buf).substr(0, 6)).has_value());  // "hello;"
  EXPECT_TRUE(detect_shell(buf).has_value());
  EXPECT_FALSE(detect_shell("").has_value());
}

TEST(ShellDetector, ReportsContextAndCommand) {
  auto f = detect_shell("x; whoami");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->context, "bare");
  EXPECT_EQ(f->fingerprint(), "whoami");
  // Only a double-quote break makes this one run.
  auto g = detect_shell("\"; id; \"");
  ASSERT_TRUE(g.has_value());
  // Only a single-quote break makes this one run.
  auto h = detect_shell("it's'; id");
  ASSERT_TRUE(h.has_value());
}

TEST(ShellDetector, DeepNestingIsBounded) {
  std::string nested;
  for (int i = 0; i < 2000; ++i) nested += "$(";
  nested += "id";
  for (int i = 0; i < 2000; ++i) nested += ")";
  (void)detect_shell(nested);  // must return, without exhausting the stack
  SUCCEED();
}

}  // namespace
}  // namespace portcullis::rules
