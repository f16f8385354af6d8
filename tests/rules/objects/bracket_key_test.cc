#include "rules/objects/bracket_key.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::rules {
namespace {

std::vector<std::string> segs(const BracketKey& k) {
  std::vector<std::string> out;
  for (std::string_view s : k.view()) out.emplace_back(s);
  return out;
}

using V = std::vector<std::string>;

TEST(BracketKey, Basic) {
  EXPECT_EQ(segs(parse_bracket_key("a")), (V{"a"}));
  EXPECT_EQ(segs(parse_bracket_key("a[b][c]")), (V{"a", "b", "c"}));
  EXPECT_EQ(segs(parse_bracket_key("user[$ne]")), (V{"user", "$ne"}));
  EXPECT_EQ(segs(parse_bracket_key("[$ne]")), (V{"", "$ne"}));
  EXPECT_EQ(segs(parse_bracket_key("a[]")), (V{"a", ""}));
  EXPECT_EQ(segs(parse_bracket_key("")), (V{""}));
  EXPECT_FALSE(parse_bracket_key("a[b][c]").malformed);
}

TEST(BracketKey, Dots) {
  EXPECT_EQ(segs(parse_bracket_key("a.b[c]")), (V{"a.b", "c"}));
  EXPECT_EQ(segs(parse_bracket_key("a.b[c]", true)), (V{"a", "b", "c"}));
  EXPECT_EQ(segs(parse_bracket_key("__proto__.x", true)), (V{"__proto__", "x"}));
  EXPECT_EQ(segs(parse_bracket_key("a[b].c", true)), (V{"a", "b", "c"}));
}

TEST(BracketKey, MalformedIsLenient) {
  BracketKey k = parse_bracket_key("a[b");
  EXPECT_TRUE(k.malformed);
  EXPECT_EQ(segs(k), (V{"a", "b"}));
  k = parse_bracket_key("a[b]c[d]");
  EXPECT_TRUE(k.malformed);
  EXPECT_EQ(segs(k), (V{"a", "b", "c", "d"}));
  k = parse_bracket_key("a]b");
  EXPECT_EQ(segs(k), (V{"a]b"}));
}

TEST(BracketKey, DepthIsBoundedAndKeepsTheTail) {
  std::string key = "r";
  for (int i = 0; i < 40; ++i) key += "[s" + std::to_string(i) + "]";
  BracketKey k = parse_bracket_key(key);
  EXPECT_TRUE(k.truncated);
  ASSERT_EQ(k.count, BracketKey::kMaxSegments);
  EXPECT_EQ(k.segments[1], "s0");
  // The last segment is the raw remainder, so a deep "[__proto__]" is still visible in it.
  EXPECT_EQ(k.segments[BracketKey::kMaxSegments - 1].substr(0, 5), "[s14]");
  EXPECT_NE(k.segments[BracketKey::kMaxSegments - 1].find("[s39]"), std::string_view::npos);
}

}  // namespace
}  // namespace portcullis::rules
