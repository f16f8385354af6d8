#include "proxy/audit/json_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace portcullis::audit {
namespace {

// Decodes "<escaped>" with an independent JSON parser.
std::string roundtrip(std::string_view raw, std::string* encoded = nullptr) {
  std::string json = "\"";
  json_escape(raw, json);
  json += "\"";
  if (encoded != nullptr) *encoded = json;
  simdjson::dom::parser p;
  std::string_view out;
  auto err = p.parse(json).get_string().get(out);
  EXPECT_FALSE(err) << "invalid JSON for input of " << raw.size() << " bytes: " << json;
  return std::string(out);
}

std::string utf8_of(unsigned cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

TEST(JsonEscape, EveryControlCharacterIsEscapedAndRoundTrips) {
  for (int c = 0; c < 0x20; ++c) {
    std::string raw(1, static_cast<char>(c));
    std::string enc;
    EXPECT_EQ(roundtrip(raw, &enc), raw) << c;
    for (char e : enc) EXPECT_GE(static_cast<unsigned char>(e), 0x20) << "raw control in output";
  }
  std::string enc;
  EXPECT_EQ(roundtrip("\x7f", &enc), "\x7f");
  EXPECT_EQ(enc, "\"\\u007f\"");
  EXPECT_EQ(roundtrip("\"\\/"), "\"\\/");
}

TEST(JsonEscape, ShortEscapesAndUnicodeEscapesForm) {
  std::string out;
  json_escape(std::string_view("\b\f\n\r\t\x01\x1f", 7), out);
  EXPECT_EQ(out, "\\b\\f\\n\\r\\t\\u0001\\u001f");
  out.clear();
  json_escape(std::string_view("a\0b", 3), out);
  EXPECT_EQ(out, "a\\u0000b");
}

TEST(JsonEscape, EveryNonUtf8ByteBecomesU00XX) {
  // A lone byte 0x80..0xFF is never valid UTF-8: it is escaped as \u00XX (U+00XX once decoded).
  for (int b = 0x80; b <= 0xFF; ++b) {
    std::string raw(1, static_cast<char>(b));
    std::string enc;
    std::string decoded = roundtrip(raw, &enc);
    EXPECT_EQ(decoded, utf8_of(static_cast<unsigned>(b))) << b;
    char want[16];
    snprintf(want, sizeof(want), "\"\\u00%02x\"", b);
    EXPECT_EQ(enc, want);
  }
}

TEST(JsonEscape, ValidUtf8PassesInvalidSequencesAreEscaped) {
  std::string enc;
  EXPECT_EQ(roundtrip("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", &enc),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(enc, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  struct Case {
    std::string in, enc;
  } cases[] = {
      {"\xc0\xaf", "\"\\u00c0\\u00af\""},                        // overlong '/'
      {"\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\""},             // overlong 3-byte
      {"\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""},             // UTF-16 surrogate
      {"\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""},  // > U+10FFFF
      {"\xc3(", "\"\\u00c3(\""},                                 // truncated sequence
      {"\xe2\x82", "\"\\u00e2\\u0082\""},                        // cut at the end
      {"\xe2\x80\xa8", "\"\\u2028\""},                           // JS line separator
  };
  for (const Case& c : cases) {
    std::string e;
    roundtrip(c.in, &e);
    EXPECT_EQ(e, c.enc);
  }
}

TEST(JsonEscape, RandomBytesAlwaysGiveValidJson) {
  uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string raw;
    for (int i = 0; i < 40; ++i) {
      x = x * 1103515245 + 12345;
      raw += static_cast<char>(x >> 16);
    }
    roundtrip(raw);
  }
}

TEST(JsonWriter, NestedObjectsAndArrays) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("a", "x");
  w.key("b");
  w.begin_object();
  w.field_int("n", -3);
  w.end_object();
  w.key("c");
  w.begin_array();
  w.string("1");
  w.string("2");
  w.end_array();
  w.key("d");
  w.boolean(true);
  w.end_object();
  EXPECT_EQ(out, R"({"a":"x","b":{"n":-3},"c":["1","2"],"d":true})");
}

}  // namespace
}  // namespace portcullis::audit
