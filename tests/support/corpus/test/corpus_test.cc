// The shared corpus and case-file reader: escapes, decoding rounds, '+' handling and case lines.
#include "tests/support/corpus/corpus.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/support/corpus/case_file.h"

namespace portcullis::corpus {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(Corpus, UnescapeOnlyTheGivenLetters) {
  EXPECT_EQ(unescape("a\\r\\n\\0b"), std::string("a\r\n\0b", 5));
  EXPECT_EQ(unescape("\\t\\u0072\\"), "\\t\\u0072\\");  // corpus escapes are r, n, 0 only
  EXPECT_EQ(unescape("\\t", "rn0t"), "\t");
  EXPECT_EQ(unescape("\\\\n", "rn0\\"), "\\n");
  EXPECT_EQ(unescape("\\\\n", "rn0"), "\\\n");
}

TEST(Corpus, PercentDecodeRoundsAndPlus) {
  EXPECT_EQ(percent_decode("%25252e", false), ".");      // three rounds
  EXPECT_EQ(percent_decode("%2525252e", false), "%2e");  // not four
  EXPECT_EQ(percent_decode("%zz%4", false), "%zz%4");    // malformed stays
  EXPECT_EQ(percent_decode("1+1", true), "1 1");
  EXPECT_EQ(decode_line("a+b%20c", Plus::kSpaceUnlessRawSpace), "a b c");
  EXPECT_EQ(decode_line("1+1 x", Plus::kSpaceUnlessRawSpace), "1+1 x");  // raw space: real plus
  EXPECT_EQ(decode_line("{{7+7}}", Plus::kLiteral), "{{7+7}}");
}

TEST(Corpus, ReadLinesSkipsEmptyAndCr) {
  std::string p = write_temp("corpus_lines.txt", "a\r\n\n\\rb\nc");
  std::vector<std::string> lines;
  ASSERT_TRUE(read_lines(p, lines));
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "\\rb", "c"}));
  EXPECT_EQ(read_unescaped(p), (std::vector<std::string>{"a", "\rb", "c"}));
  EXPECT_FALSE(read_lines(p + ".missing", lines));
  std::remove(p.c_str());
}

TEST(CaseFile, ExpectedTabInput) {
  std::string p =
      write_temp("cases.txt", "# comment\n\nsqli\t1\\tor\\n1\nno tab here\nnone\tx\ty\n");
  CaseFile f = read_case_file(p, "rn0t");
  ASSERT_TRUE(f.opened);
  ASSERT_EQ(f.cases.size(), 2u);
  EXPECT_EQ(f.cases[0].line, 3);
  EXPECT_EQ(f.cases[0].expected, "sqli");
  EXPECT_EQ(f.cases[0].raw, "1\\tor\\n1");
  EXPECT_EQ(f.cases[0].input, "1\tor\n1");
  EXPECT_EQ(f.cases[1].input, "x\ty");  // only the first TAB splits
  EXPECT_EQ(f.untabbed, std::vector<std::string>{"no tab here"});
  EXPECT_FALSE(read_case_file(p + ".missing", "").opened);
  std::remove(p.c_str());
}

}  // namespace
}  // namespace portcullis::corpus
