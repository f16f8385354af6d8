// Decoder tests: each layer alone, the combined rounds (double / triple encoding), the
// signals raised, and the output bound.
#include "rules/decode/decoder.h"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::rules {
namespace {

struct Row {
  const char* raw;
  const char* want;
  uint32_t must_have;  // flags that must be set
};

DecodeOptions Query() {
  DecodeOptions o;
  o.plus_as_space = true;
  o.json_escapes = true;
  return o;
}

TEST(Decoder, TableOfEncodings) {
  const Row rows[] = {
      {"plain text", "plain text", 0},
      {"a%20b", "a b", kHadPercent},
      {"a+b", "a b", 0},
      {"%2B", "+", kHadPercent},      // '+' from %2B stays a plus
      {"1%2B1", "1+1", kHadPercent},  // ... when nothing more is encoded
      // A value still percent-encoded after the first layer was encoded twice; the second
      // decode (urldecode(), URLDecoder) reads '+' as a space as well.
      {"%2526%2526%2B|%2Bdir", "&& | dir", kHadPercent | kDoubleEncoded},
      {"%2B%25zz", "+%zz", kHadPercent},  // '%' without two hex digits: not an escape
      {"%252e%252e%252f", "../", kHadPercent | kDoubleEncoded},
      {"%25252e", ".", kHadPercent | kDoubleEncoded},  // triple encoding, within 3 rounds
      {"%u002e%u002e%u2215", "../", kHadPercentU | kUnicodeFolded},
      {"%uff0e%uff0e/", "../", kHadPercentU | kUnicodeFolded},
      {"%c0%ae%c0%ae%c0%af", "../", kOverlongUtf8},
      {"%e0%80%ae", ".", kOverlongUtf8},
      {"%f0%80%80%ae", ".", kOverlongUtf8},
      {"%fc%80%80%80%80%ae", ".", kOverlongUtf8 | kInvalidUtf8},
      {"%c0%2e", ".", kOverlongUtf8 | kInvalidUtf8},  // IIS-lenient 2-byte form
      {"%c1%9c", "\\", kOverlongUtf8},
      {"&lt;script&gt;", "<script>", kHadHtmlEntity},
      {"&lt&gt", "<>", kHadHtmlEntity},  // legacy names without ';'
      {"&#60;&#x3C;&#X3c", "<<<", kHadHtmlEntity},
      {"&#0000060;", "<", kHadHtmlEntity},
      {"&sol;etc&sol;passwd", "/etc/passwd", kHadHtmlEntity},
      {"&unknown; &amp", "&unknown; &", kHadHtmlEntity},
      {"&#x10FFFFF;", "&#x10FFFFF;", 0},  // out of range: left as typed
      {"\\u002e\\u002e\\u002f", "../", kHadJsonEscape},
      {"\\ud83d\\ude00", "\xF0\x9F\x98\x80", kHadJsonEscape},
      {"%26lt%3B", "<", kHadPercent | kHadHtmlEntity},  // both layers in one round
      {"file.php%00.jpg", "file.php", kHasNul},         // want replaced below: it holds a NUL
      {"a%0d%0ab", "a\r\nb", kHasNewline},
      {"a%01b",
       "a\x01"
       "b",
       kHasControl},
      {"100%", "100%", 0},
      {"%zz%4", "%zz%4", 0},
      {"caf\xC3\xA9", "caf\xC3\xA9", 0},       // valid UTF-8 untouched
      {"\xC3\x28", "\xC3\x28", kInvalidUtf8},  // invalid kept, flagged
      {"\xC0"
       "b",
       "\xC0"
       "b",
       kInvalidUtf8},  // Latin-1 text: no letter smuggling
  };
  Decoder d;
  for (const auto& r : rows) {
    std::string raw = r.raw;
    std::string want = r.want;
    if (std::string(r.raw) == "file.php%00.jpg") want = std::string("file.php\0.jpg", 13);
    Decoded out = d.decode(raw, Query());
    EXPECT_EQ(std::string(out.text), want) << "raw: " << r.raw;
    EXPECT_EQ(out.flags & r.must_have, r.must_have) << "raw: " << r.raw << " flags " << out.flags;
  }
}

TEST(Decoder, RoundBoundIsHonoured) {
  Decoder d;
  DecodeOptions one;
  one.max_rounds = 1;
  EXPECT_EQ(d.decode("%252e", one).text, "%2e");
  DecodeOptions three;
  EXPECT_EQ(d.decode("%2525252e", three).text, "%2e");  // 4 layers: one stays encoded
}

TEST(Decoder, PlusOnlyWhenAsked) {
  Decoder d;
  EXPECT_EQ(d.decode("a+b", DecodeOptions{}).text, "a+b");
  EXPECT_EQ(d.decode("a+b", Query()).text, "a b");
}

TEST(Decoder, JsonEscapesOnlyWhenAsked) {
  Decoder d;
  EXPECT_EQ(d.decode("\\u002e", DecodeOptions{}).text, "\\u002e");
  EXPECT_EQ(d.decode("\\u002e", Query()).text, ".");
}

TEST(Decoder, OutputIsBoundedAndTruncationFlagged) {
  Decoder d;
  DecodeOptions o;
  o.max_input = 16;
  std::string big(1000, 'a');
  Decoded out = d.decode(big, o);
  EXPECT_EQ(out.text.size(), 16u);
  EXPECT_TRUE(out.has(kTruncated));
  // Decoding never grows the text: worst cases of each layer.
  const char* growers[] = {"%u0800%u0800", "&#x10FFFF;", "&nbsp;", "\\ud83d\\ude00", "%c0%ae"};
  for (const char* g : growers) {
    Decoded o2 = d.decode(g, Query());
    EXPECT_LE(o2.text.size(), std::string(g).size()) << g;
  }
}

TEST(Decoder, ReusesBuffersAcrossCalls) {
  Decoder d;
  std::string a = "%2e%2e%2f" + std::string(200, 'x');
  Decoded first = d.decode(a, Query());
  const char* p1 = first.text.data();
  Decoded second = d.decode(a, Query());
  // Same input, same rounds: the same owned buffer is reused, no new allocation.
  EXPECT_EQ(second.text.data(), p1);
  EXPECT_EQ(second.text.substr(0, 3), "../");
}

TEST(Decoder, ResultPointsIntoInputWhenNothingToDecode) {
  Decoder d;
  std::string s = "nothing to see";
  Decoded out = d.decode(s, Query());
  EXPECT_EQ(out.text.data(), s.data());
  EXPECT_EQ(out.rounds, 0);
}

TEST(Decoder, SingleLayerHelpers) {
  std::string out;
  EXPECT_EQ(percent_decode_once("%41%u0042+", true, &out), kHadPercent | kHadPercentU);
  EXPECT_EQ(out, "AB ");
  out.clear();
  EXPECT_EQ(html_decode_once("&quot;x&apos;", &out), kHadHtmlEntity);
  EXPECT_EQ(out, "\"x'");
  out.clear();
  EXPECT_EQ(json_unescape_once("\\u0041", &out), kHadJsonEscape);
  EXPECT_EQ(out, "A");
  out.clear();
  EXPECT_EQ(utf8_normalize_once("\xEF\xBC\x8F", &out), kUnicodeFolded);  // FULLWIDTH SOLIDUS
  EXPECT_EQ(out, "/");
}

}  // namespace
}  // namespace portcullis::rules
