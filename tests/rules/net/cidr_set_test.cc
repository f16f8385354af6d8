#include "rules/net/cidr_set.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace portcullis::net {
namespace {

IpAddress ip(std::string_view s) {
  Result<IpAddress> r = IpAddress::parse(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : IpAddress{};
}

CidrSet set_of(std::string_view text) {
  Result<CidrSet> r = CidrSet::parse(text, "test");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason);
  return r.ok() ? std::move(*r) : CidrSet{};
}

std::string parse_error(std::string_view text) {
  Result<CidrSet> r = CidrSet::parse(text, "list.txt");
  return r.ok() ? "OK" : r.error().reason;
}

TEST(Cidr, ParseAndCanonicalText) {
  EXPECT_EQ(Cidr::parse("10.0.0.0/8")->to_string(), "10.0.0.0/8");
  EXPECT_EQ(Cidr::parse("10.1.2.3")->to_string(), "10.1.2.3/32");
  EXPECT_EQ(Cidr::parse("2400:CB00::/32")->to_string(), "2400:cb00::/32");
  EXPECT_EQ(Cidr::parse("::1")->to_string(), "::1/128");
  EXPECT_EQ(Cidr::parse("0.0.0.0/0")->to_string(), "0.0.0.0/0");
  EXPECT_EQ(Cidr::parse("::/0")->to_string(), "::/0");
  EXPECT_EQ(Cidr::parse("10.0.0.0/8")->prefix_len, 104);
  EXPECT_EQ(Cidr::parse("::ffff:10.0.0.0/104")->prefix_len, 104);
}

TEST(Cidr, RejectsMalformedPrefixesAndHostBits) {
  for (const char* bad : {"10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0.0/8/8", "10.0.0.0/ 8", "::/129", "::/0128", "10.0.0.0/1000", "/8",
                          "10.0.0/8", "010.0.0.0/8", "fe80::%1/64", "10.0.0.0/8a"}) {
    EXPECT_FALSE(Cidr::parse(bad).ok()) << bad;
  }
  Result<Cidr> host_bits = Cidr::parse("10.0.0.1/8");
  ASSERT_FALSE(host_bits.ok());
  EXPECT_EQ(host_bits.error().reason, "host bits set (did you mean 10.0.0.0/8?)");
  Result<Cidr> host_bits6 = Cidr::parse("2400:cb00::1/32");
  ASSERT_FALSE(host_bits6.ok());
  EXPECT_EQ(host_bits6.error().reason, "host bits set (did you mean 2400:cb00::/32?)");
  EXPECT_FALSE(Cidr::parse("0.0.0.1/0").ok());
}

TEST(CidrSet, V4BoundariesFirstAndLastAddress) {
  CidrSet s = set_of("173.245.48.0/20\n103.21.244.0/22\n");
  EXPECT_TRUE(s.contains(ip("173.245.48.0")));
  EXPECT_TRUE(s.contains(ip("173.245.63.255")));
  EXPECT_FALSE(s.contains(ip("173.245.47.255")));
  EXPECT_FALSE(s.contains(ip("173.245.64.0")));
  EXPECT_TRUE(s.contains(ip("103.21.244.0")));
  EXPECT_TRUE(s.contains(ip("103.21.247.255")));
  EXPECT_FALSE(s.contains(ip("103.21.243.255")));
  EXPECT_FALSE(s.contains(ip("103.21.248.0")));
  EXPECT_FALSE(s.contains(ip("0.0.0.0")));
  EXPECT_FALSE(s.contains(ip("255.255.255.255")));
  // IPv4 ranges never match IPv6 addresses that merely share the low bits.
  EXPECT_FALSE(s.contains(ip("::173.245.48.1")));
  EXPECT_FALSE(s.contains(ip("::1")));
}

TEST(CidrSet, V4MappedV6MatchesV4Ranges) {
  CidrSet s = set_of("198.41.128.0/17");
  EXPECT_TRUE(s.contains(ip("::ffff:198.41.128.1")));
  EXPECT_TRUE(s.contains(ip("::ffff:c629:ffff")));
  EXPECT_FALSE(s.contains(ip("::ffff:198.42.0.0")));
  // And a v4-mapped CIDR written in IPv6 text matches plain IPv4 peers.
  CidrSet m = set_of("::ffff:10.0.0.0/104");
  EXPECT_TRUE(m.contains(ip("10.255.255.255")));
  EXPECT_FALSE(m.contains(ip("11.0.0.0")));
  EXPECT_EQ(m.v4_range_count(), 1u);
  EXPECT_EQ(m.v6_range_count(), 0u);
}

TEST(CidrSet, V6Boundaries) {
  CidrSet s = set_of("2a06:98c0::/29\n2c0f:f248::/32\n");
  EXPECT_TRUE(s.contains(ip("2a06:98c0::")));
  EXPECT_TRUE(s.contains(ip("2a06:98c7:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(s.contains(ip("2a06:98bf:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(s.contains(ip("2a06:98c8::")));
  EXPECT_TRUE(s.contains(ip("2c0f:f248:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(s.contains(ip("2c0f:f249::")));
  EXPECT_FALSE(s.contains(ip("1.2.3.4")));
}

TEST(CidrSet, HostRoutesAndZeroPrefixes) {
  CidrSet h = set_of("1.2.3.4/32\n2001:db8::1/128\n");
  EXPECT_TRUE(h.contains(ip("1.2.3.4")));
  EXPECT_FALSE(h.contains(ip("1.2.3.5")));
  EXPECT_FALSE(h.contains(ip("1.2.3.3")));
  EXPECT_TRUE(h.contains(ip("2001:db8::1")));
  EXPECT_FALSE(h.contains(ip("2001:db8::2")));
  EXPECT_FALSE(h.contains(ip("2001:db8::")));

  CidrSet all4 = set_of("0.0.0.0/0");
  EXPECT_TRUE(all4.contains(ip("0.0.0.0")));
  EXPECT_TRUE(all4.contains(ip("255.255.255.255")));
  EXPECT_FALSE(all4.contains(ip("::")));
  EXPECT_FALSE(all4.contains(ip("::fffe:ffff:ffff")));  // just below ::ffff:0.0.0.0
  EXPECT_FALSE(all4.contains(ip("::1:0:0:0")));         // just above ::ffff:255.255.255.255

  CidrSet all6 = set_of("::/0");
  EXPECT_TRUE(all6.contains(ip("::")));
  EXPECT_TRUE(all6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(all6.contains(ip("1.2.3.4")));  // ::/0 includes the v4-mapped block
  EXPECT_TRUE(all6.contains(ip("::fffe:ffff:ffff")));
  EXPECT_TRUE(all6.contains(ip("::1:0:0:0")));
  EXPECT_EQ(all6.v4_range_count(), 1u);  // split around the v4 block
  EXPECT_EQ(all6.v6_range_count(), 2u);

  CidrSet empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.contains(ip("1.2.3.4")));
  EXPECT_FALSE(empty.contains(ip("::")));
}

TEST(CidrSet, MergesAdjacentAndOverlapping) {
  CidrSet s = set_of(
      "10.0.0.0/25\n10.0.0.128/25\n"        // adjacent halves -> 10.0.0.0/24
      "10.0.1.0/24\n"                       // adjacent -> 10.0.0.0/23
      "10.0.0.5\n"                          // inside
      "10.0.0.0/16\n"                       // swallows all of the above
      "192.168.0.0/24\n192.168.2.0/24\n");  // gap: stays two ranges
  EXPECT_EQ(s.v4_range_count(), 3u);
  std::vector<Cidr> back = s.to_cidrs();
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].to_string(), "10.0.0.0/16");
  EXPECT_EQ(back[1].to_string(), "192.168.0.0/24");
  EXPECT_EQ(back[2].to_string(), "192.168.2.0/24");
  EXPECT_FALSE(s.contains(ip("192.168.1.0")));

  CidrSet top = set_of("255.255.255.255\n255.255.255.254\n::ffff:ffff:ffff\n");
  EXPECT_EQ(top.v4_range_count(), 1u);
  EXPECT_TRUE(top.contains(ip("255.255.255.254")));

  CidrSet v6 = set_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\nffff:ffff:ffff:ffff::/64\n");
  EXPECT_EQ(v6.v6_range_count(), 1u);
  EXPECT_EQ(v6.to_cidrs()[0].to_string(), "ffff:ffff:ffff:ffff::/64");
}

TEST(CidrSet, MergeOfTwoSets) {
  CidrSet a = set_of("10.0.0.0/9\n2001:db8::/33");
  CidrSet b = set_of("10.128.0.0/9\n2001:db8:8000::/33");
  CidrSet u = CidrSet::merge(a, b);
  EXPECT_EQ(u.v4_range_count(), 1u);
  EXPECT_EQ(u.v6_range_count(), 1u);
  EXPECT_TRUE(u.contains(ip("10.200.0.1")));
  EXPECT_TRUE(u.contains(ip("2001:db8:ffff::1")));
}

TEST(CidrSet, FileSyntaxCommentsBlankLinesCrLf) {
  CidrSet s = set_of(
      "# header\n"
      "\n"
      "   \t\n"
      "  1.2.3.0/24   # trailing comment\r\n"
      "\t2001:db8::/32\r\n"
      "#5.5.5.5\n"
      "9.9.9.9");  // no final newline
  EXPECT_TRUE(s.contains(ip("1.2.3.99")));
  EXPECT_TRUE(s.contains(ip("2001:db8::5")));
  EXPECT_TRUE(s.contains(ip("9.9.9.9")));
  EXPECT_FALSE(s.contains(ip("5.5.5.5")));
  EXPECT_TRUE(set_of("").empty());
  EXPECT_TRUE(set_of("# only comments\n\n").empty());
}

TEST(CidrSet, ErrorsNameSourceLineAndReason) {
  EXPECT_EQ(parse_error("1.2.3.0/24\n\n# c\n1.2.3.400\n"),
            "list.txt:4: invalid IPv4 address '1.2.3.400'");
  EXPECT_EQ(parse_error("10.0.0.1/8"),
            "list.txt:1: host bits set (did you mean 10.0.0.0/8?) '10.0.0.1/8'");
  EXPECT_EQ(parse_error("1.1.1.1\n2.2.2.2 3.3.3.3\n"),
            "list.txt:2: more than one entry on a line '2.2.2.2 3.3.3.3'");
  EXPECT_EQ(parse_error("::/129"), "list.txt:1: prefix length out of range '::/129'");
  EXPECT_EQ(parse_error("\n\nfe80::1%eth0\n"), "list.txt:3: zone id not allowed 'fe80::1%eth0'");
  EXPECT_EQ(parse_error("1.2.3.4,5.6.7.8"), "list.txt:1: invalid IPv4 address '1.2.3.4,5.6.7.8'");
  EXPECT_EQ(parse_error(std::string_view("1.2.3.4\0", 8)),
            "list.txt:1: invalid IPv4 address '1.2.3.4?'");
  EXPECT_EQ(parse_error("0x01020304\n"), "list.txt:1: invalid IPv4 address '0x01020304'");
}

// 100,000 random CIDRs (mixed v4/v6, all prefix lengths) against a brute-force scan.
TEST(CidrSet, HundredThousandRandomEntriesMatchBruteForce) {
  std::mt19937_64 rng(42);
  struct Range {
    IpAddress first;
    uint8_t len;
  };
  auto masked = [](IpAddress a, unsigned len) {
    for (unsigned bit = len; bit < 128; ++bit) {
      a.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    }
    return a;
  };
  auto in_cidr = [](const IpAddress& a, const Cidr& c) {
    for (unsigned bit = 0; bit < c.prefix_len; ++bit) {
      uint8_t m = static_cast<uint8_t>(0x80u >> (bit % 8));
      if ((a.bytes[bit / 8] & m) != (c.base.bytes[bit / 8] & m)) return false;
    }
    return true;
  };
  std::vector<Cidr> cidrs;
  std::string text;
  // Concentrate v6 entries in a few /16s and v4 in 10/8-ish space so ranges overlap and merge.
  for (int i = 0; i < 100000; ++i) {
    uint64_t r = rng();
    Cidr c;
    if (r & 1) {
      unsigned len = 8 + static_cast<unsigned>((r >> 1) % 25);  // /8../32
      uint32_t v = static_cast<uint32_t>(rng()) & 0x3fffffffu;
      c.base = masked(IpAddress::from_v4(v), 96 + len);
      c.prefix_len = static_cast<uint8_t>(96 + len);
    } else {
      unsigned len = 16 + static_cast<unsigned>((r >> 1) % 113);  // /16../128
      uint8_t raw[16];
      uint64_t a = rng(), b = rng();
      for (int k = 0; k < 8; ++k) {
        raw[k] = static_cast<uint8_t>(a >> (8 * k));
        raw[8 + k] = static_cast<uint8_t>(b >> (8 * k));
      }
      raw[0] = 0x20;
      raw[1] = static_cast<uint8_t>(r >> 40) & 3;
      c.base = masked(IpAddress::from_v6(raw), len);
      c.prefix_len = static_cast<uint8_t>(len);
    }
    cidrs.push_back(c);
    text += c.to_string();
    text += '\n';
  }
  Result<CidrSet> parsed = CidrSet::parse(text, "random");
  ASSERT_TRUE(parsed.ok()) << parsed.error().reason;
  const CidrSet& s = *parsed;
  // Flat: at most 32 bytes per entry (plus the object).
  EXPECT_LE(s.memory_bytes(), sizeof(CidrSet) + cidrs.size() * 32);
  // Probes: the first and last address of sampled CIDRs and their neighbours, plus random ones.
  std::vector<IpAddress> probes;
  for (int i = 0; i < 400; ++i) {
    const Cidr& c = cidrs[rng() % cidrs.size()];
    IpAddress first = c.base;
    IpAddress last = c.base;
    for (unsigned bit = c.prefix_len; bit < 128; ++bit) last.bytes[bit / 8] |= 0x80u >> (bit % 8);
    probes.push_back(first);
    probes.push_back(last);
    IpAddress below = first, above = last;
    for (int k = 15; k >= 0 && below.bytes[k]-- == 0; --k) {
    }
    for (int k = 15; k >= 0 && ++above.bytes[k] == 0; --k) {
    }
    probes.push_back(below);
    probes.push_back(above);
  }
  for (int i = 0; i < 400; ++i) {
    uint64_t r = rng();
    if (r & 1) {
      probes.push_back(IpAddress::from_v4(static_cast<uint32_t>(rng()) & 0x3fffffffu));
    } else {
      uint8_t raw[16] = {0x20, static_cast<uint8_t>(r >> 8 & 3)};
      uint64_t a = rng();
      for (int k = 2; k < 10; ++k) raw[k] = static_cast<uint8_t>(a >> (8 * (k - 2)));
      probes.push_back(IpAddress::from_v6(raw));
    }
  }
  int hits = 0;
  for (const IpAddress& p : probes) {
    bool expected = false;
    for (const Cidr& c : cidrs) {
      if (in_cidr(p, c)) {
        expected = true;
        break;
      }
    }
    ASSERT_EQ(s.contains(p), expected) << p.to_string();
    hits += expected;
  }
  EXPECT_GT(hits, 800);  // the probe mix exercised both answers
  EXPECT_LT(hits, static_cast<int>(probes.size()));
  // to_cidrs() describes the same set.
  CidrSet rebuilt = CidrSet::build(s.to_cidrs());
  EXPECT_EQ(rebuilt.v4_range_count(), s.v4_range_count());
  EXPECT_EQ(rebuilt.v6_range_count(), s.v6_range_count());
  for (const IpAddress& p : probes) ASSERT_EQ(rebuilt.contains(p), s.contains(p));
}

}  // namespace
}  // namespace portcullis::net
