#include "rules/ssrf/ip_address.h"

#include <gtest/gtest.h>

#include "rules/ssrf/host_classifier.h"

namespace portcullis::rules::ssrf {
namespace {

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

TEST(Ipv4Whatwg, LegacySpellings) {
  struct {
    const char* text;
    uint32_t addr;
  } cases[] = {
      {"127.0.0.1", ip(127, 0, 0, 1)},
      {"127.1", ip(127, 0, 0, 1)},
      {"127.0.1", ip(127, 0, 0, 1)},
      {"0x7f.1", ip(127, 0, 0, 1)},
      {"0177.0.0.1", ip(127, 0, 0, 1)},
      {"2130706433", ip(127, 0, 0, 1)},
      {"0x7F000001", ip(127, 0, 0, 1)},
      {"017700000001", ip(127, 0, 0, 1)},
      {"0", 0},
      {"0x", 0},
      {"1.2.3.4.", ip(1, 2, 3, 4)},
      {"169.254.43518", ip(169, 254, 169, 254)},
  };
  for (auto& c : cases) {
    Ipv4Parse p = parse_ipv4_whatwg(c.text);
    EXPECT_EQ(p.kind, Ipv4Parse::Kind::kIpv4) << c.text;
    EXPECT_EQ(p.addr, c.addr) << c.text;
  }
}

TEST(Ipv4Whatwg, NotNumericInvalidAndOverflow) {
  EXPECT_EQ(parse_ipv4_whatwg("example.com").kind, Ipv4Parse::Kind::kNotIpv4);
  EXPECT_EQ(parse_ipv4_whatwg("1.2.3.com").kind, Ipv4Parse::Kind::kNotIpv4);
  EXPECT_EQ(parse_ipv4_whatwg("").kind, Ipv4Parse::Kind::kNotIpv4);
  EXPECT_EQ(parse_ipv4_whatwg("08.0.0.1").kind, Ipv4Parse::Kind::kInvalid);  // bad octal digit
  EXPECT_EQ(parse_ipv4_whatwg("1.2.3.4.5").kind, Ipv4Parse::Kind::kInvalid);
  EXPECT_EQ(parse_ipv4_whatwg("256.0.0.1").kind, Ipv4Parse::Kind::kInvalid);
  EXPECT_EQ(parse_ipv4_whatwg("1..1").kind, Ipv4Parse::Kind::kInvalid);
  Ipv4Parse p = parse_ipv4_whatwg("7147006462");
  EXPECT_EQ(p.kind, Ipv4Parse::Kind::kOverflow);
  EXPECT_EQ(p.addr, ip(169, 254, 169, 254));
  p = parse_ipv4_whatwg("0x41414141A9FEA9FE");
  EXPECT_EQ(p.kind, Ipv4Parse::Kind::kOverflow);
  EXPECT_EQ(p.addr, ip(169, 254, 169, 254));
  p = parse_ipv4_whatwg("1.2.65536");
  EXPECT_EQ(p.kind, Ipv4Parse::Kind::kOverflow);
}

TEST(Ipv4FourParts, OnlyFullDottedQuads) {
  EXPECT_EQ(parse_ipv4_four_parts("10.0.0.1"), ip(10, 0, 0, 1));
  EXPECT_EQ(parse_ipv4_four_parts("0x7f.0.0.01"), ip(127, 0, 0, 1));
  EXPECT_FALSE(parse_ipv4_four_parts("10.1"));
  EXPECT_FALSE(parse_ipv4_four_parts("2130706433"));
  EXPECT_FALSE(parse_ipv4_four_parts("1.2.3.256"));
}

TEST(Ipv6, Parse) {
  auto a = parse_ipv6("::1");
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)[7], 1);
  a = parse_ipv6("::ffff:127.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)[5], 0xffff);
  EXPECT_EQ((*a)[6], 0x7f00);
  EXPECT_EQ((*a)[7], 1);
  a = parse_ipv6("fe80::abc:1");
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)[0], 0xfe80);
  EXPECT_EQ((*a)[6], 0xabc);
  EXPECT_FALSE(parse_ipv6(":1"));
  EXPECT_FALSE(parse_ipv6("1::2::3"));
  EXPECT_FALSE(parse_ipv6("1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(parse_ipv6("::ffff:127.0.0.01"));  // no leading zeros in the IPv4 tail
  EXPECT_FALSE(parse_ipv6("12345::"));
  EXPECT_FALSE(parse_ipv6(""));
}

TEST(Classify, Ipv4Ranges) {
  EXPECT_EQ(classify_ipv4(ip(8, 8, 8, 8)), "");
  EXPECT_EQ(classify_ipv4(ip(172, 32, 0, 1)), "");
  EXPECT_EQ(classify_ipv4(ip(100, 128, 0, 1)), "");
  EXPECT_EQ(classify_ipv4(ip(127, 8, 9, 1)), "loopback address");
  EXPECT_EQ(classify_ipv4(ip(172, 31, 255, 255)), "private address (RFC 1918)");
  EXPECT_EQ(classify_ipv4(ip(169, 254, 169, 254)), "cloud metadata endpoint");
  EXPECT_EQ(classify_ipv4(ip(100, 127, 255, 255)), "carrier-grade NAT address (RFC 6598)");
  EXPECT_EQ(classify_ipv4(ip(255, 255, 255, 255)), "reserved address (240.0.0.0/4)");
}

TEST(Classify, Ipv6Ranges) {
  auto c = [](const char* t) { return classify_ipv6(*parse_ipv6(t)); };
  EXPECT_EQ(c("2001:4860:4860::8888"), "");
  EXPECT_EQ(c("::1fff:0.0.0.0"), "");
  EXPECT_EQ(c("64:ff9a::255.255.255.255"), "");
  EXPECT_EQ(c("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "");
  EXPECT_EQ(c("::"), "unspecified address");
  EXPECT_EQ(c("::ffff:10.0.0.1"), "private address (RFC 1918)");
  EXPECT_EQ(c("::ffff:a9fe:a9fe"), "cloud metadata endpoint");
  EXPECT_EQ(c("fd00:ec2::254"), "cloud metadata endpoint");
  EXPECT_EQ(c("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "link-local address");
  EXPECT_EQ(c("fdff::1"), "unique-local address (RFC 4193)");
}

TEST(HostClassifier, NormalizesLikeAUrlParser) {
  char buf[64];
  std::string_view in =
      "%4C%4f%43ALHOST\t\xEF\xBC\x8E";  // "LOCALHOST" percent-encoded, tab, U+FF0E
  size_t n = normalize_host(in, buf, sizeof(buf));
  EXPECT_EQ(std::string_view(buf, n), "localhost.");
  std::string_view small = "abcdef";
  EXPECT_EQ(normalize_host(small, buf, 3), 4u);  // does not fit: cap + 1
}

TEST(HostClassifier, BareModeIsStricter) {
  HostVerdict v;
  EXPECT_TRUE(classify_host("127.1", HostMode::kUrl, v));
  EXPECT_FALSE(classify_host("127.1", HostMode::kBare, v));
  EXPECT_TRUE(classify_host("metadata", HostMode::kUrl, v));
  EXPECT_FALSE(classify_host("metadata", HostMode::kBare, v));
  EXPECT_TRUE(classify_host("127.0.0.1:22", HostMode::kBare, v));
  EXPECT_EQ(v.host, "127.0.0.1");
}

}  // namespace
}  // namespace portcullis::rules::ssrf
