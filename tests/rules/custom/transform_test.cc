// Every transform, from a data file (input -> expected output), plus the chain rules that are not
// visible in one line: '+' is a space only before the first decoding round.
#include "rules/custom/transform.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace portcullis::rules::custom {
namespace {

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    if (c == 't')
      out.push_back('\t');
    else if (c == 'n')
      out.push_back('\n');
    else if (c == 'r')
      out.push_back('\r');
    else if (c == '0')
      out.push_back('\0');
    else if (c == '\\')
      out.push_back('\\');
    else if (c == 'x') {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

// "a | b | c" -> {"a", "b", "c"}: fields are separated by " | " (one space each side is part of
// the separator, so leading / trailing spaces inside a field survive).
std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> f;
  size_t start = 0;
  while (true) {
    size_t bar = line.find(" | ", start);
    if (bar == std::string::npos) {
      f.push_back(line.substr(start));
      return f;
    }
    f.push_back(line.substr(start, bar - start));
    start = bar + 3;
  }
}

TEST(Transform, DataFileCases) {
  std::ifstream in(std::string(PORTCULLIS_SOURCE_DIR) +
                   "/tests/rules/custom/data/transform_cases.txt");
  ASSERT_TRUE(in) << "missing data file";
  std::string line;
  int cases = 0;
  bool seen[9] = {};
  TransformScratch scratch;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = Fields(line);
    ASSERT_EQ(f.size(), 3u) << line;
    std::vector<Transform> chain;
    if (f[0] != "-") {
      std::stringstream ss(f[0]);
      std::string name;
      while (std::getline(ss, name, ',')) {
        auto t = parse_transform(name);
        ASSERT_TRUE(t.has_value()) << name;
        chain.push_back(*t);
        seen[static_cast<int>(*t)] = true;
      }
    }
    const std::string input = Unescape(f[1]);
    // Query inputs: '+' is a space.
    EXPECT_EQ(scratch.apply(chain, input, /*plus_as_space=*/true), Unescape(f[2])) << line;
    ++cases;
  }
  EXPECT_GE(cases, 15);
  for (int i = 0; i < 9; ++i)
    EXPECT_TRUE(seen[i]) << "no case for " << transform_name(Transform(i));
}

TEST(Transform, PlusIsLiteralOutsideQueryAndForm) {
  TransformScratch s;
  const Transform chain[] = {Transform::kUrlDecode};
  EXPECT_EQ(s.apply(chain, "a+b", /*plus_as_space=*/false), "a+b");
  EXPECT_EQ(s.apply(chain, "a+b", /*plus_as_space=*/true), "a b");
}

TEST(Transform, NamesRoundTripAndUnknownIsRefused) {
  for (int i = 0; i < 9; ++i) {
    auto t = static_cast<Transform>(i);
    EXPECT_EQ(parse_transform(transform_name(t)), t);
    EXPECT_NE(transform_names().find(transform_name(t)), std::string_view::npos);
  }
  EXPECT_FALSE(parse_transform("urldecode").has_value());
  EXPECT_FALSE(parse_transform("").has_value());
}

TEST(Transform, OutputNeverLongerThanInput) {
  TransformScratch s;
  const Transform all[] = {Transform::kUrlDecode,          Transform::kHtmlDecode,
                           Transform::kJsonUnescape,       Transform::kNormalizePath,
                           Transform::kCompressWhitespace, Transform::kLowercase};
  const std::string in = "%u00e9&#x1F600;\\uD83D\\uDE00/../a//b/./  c";
  EXPECT_LE(s.apply(all, in, true).size(), in.size());
}

}  // namespace
}  // namespace portcullis::rules::custom
