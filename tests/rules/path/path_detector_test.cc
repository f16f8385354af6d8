// Data-driven tests for detect_path: path_cases.txt holds EXPECTED<TAB>INPUT lines.
#include "rules/path/path_detector.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "rules/decode/decoder.h"

namespace portcullis::rules {
namespace {

struct Case {
  int line;
  std::string expected;
  std::string input;
};

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        std::string("rn0t").find(s[i + 1]) != std::string::npos) {
      char n = s[++i];
      out.push_back(n == 'r' ? '\r' : n == 'n' ? '\n' : n == 't' ? '\t' : '\0');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<Case> load(const std::string& file) {
  std::vector<Case> cases;
  std::ifstream in(file);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    cases.push_back({n, line.substr(0, tab), unescape(line.substr(tab + 1))});
  }
  return cases;
}

TEST(PathDetector, DataDrivenCases) {
  auto cases = load(PORTCULLIS_SOURCE_DIR "/tests/rules/path/path_cases.txt");
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
