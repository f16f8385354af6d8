#include "rules/net/ip_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace portcullis::net {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Data-driven: tests/rules/net/ip_parse_cases.txt.
TEST(IpAddress, ParseCasesFromDataFile) {
  std::string data =
      read_file(std::string(PORTCULLIS_SOURCE_DIR) + "/tests/rules/net/ip_parse_cases.txt");
  ASSERT_FALSE(data.empty());
  std::istringstream lines(data);
  std::string line;
  int cases = 0, line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    ASSERT_EQ(line.rfind("in:", 0), 0u) << "line " << line_no;
    size_t arrow = line.rfind(" -> ");
    ASSERT_NE(arrow, std::string::npos) << "line " << line_no;
    std::string input = line.substr(3, arrow - 3);
    std::string expected = line.substr(arrow + 4);
    Result<IpAddress> r = IpAddress::parse(input);
    if (expected == "ERROR") {
      EXPECT_FALSE(r.ok()) << "line " << line_no << ": '" << input << "' parsed as "
                           << r->to_string();
    } else {
      ASSERT_TRUE(r.ok()) << "line " << line_no << ": '" << input << "': " << r.error().reason;
      EXPECT_EQ(r->to_string(), expected) << "line " << line_no;
      // Canonical text parses back to the same value.
      Result<IpAddress> again = IpAddress::parse(expected);
      ASSERT_TRUE(again.ok()) << expected;
      EXPECT_EQ(*again, *r) << expected;
    }
    ++cases;
  }
  EXPECT_GT(cases, 80);
}

TEST(IpAddress, V4IsStoredV4Mapped) {
  IpAddress a = *IpAddress::parse("1.2.3.4");
  IpAddress b = *IpAddress::parse("::ffff:1.2.3.4");
  EXPECT_EQ(a, b);
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.v4(), 0x01020304u);
  EXPECT_EQ(a.hi(), 0u);
  EXPECT_EQ(a.lo(), 0x0000ffff01020304ull);
  EXPECT_FALSE(IpAddress::parse("::1.2.3.4")->is_v4());
  EXPECT_FALSE(IpAddress::parse("::")->is_v4());
  EXPECT_EQ(IpAddress::from_v4(0xc0000201), *IpAddress::parse("192.0.2.1"));
}

TEST(IpAddress, HiLoAreBigEndianHalves) {
  IpAddress a = *IpAddress::parse("0102:0304:0506:0708:090a:0b0c:0d0e:0f10");
  EXPECT_EQ(a.hi(), 0x0102030405060708ull);
  EXPECT_EQ(a.lo(), 0x090a0b0c0d0e0f10ull);
}

TEST(IpAddress, FormatMatchesInetNtopForRandomV6) {
  // Cross-check RFC 5952 output and parsing against glibc on random addresses with many zero
  // groups (the interesting case for "::" placement).
  uint64_t s = 12345;
  auto next = [&s] {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    uint8_t raw[16];
    for (int k = 0; k < 8; ++k) {
      uint64_t r = next();
      uint16_t w = (r & 3) ? 0 : static_cast<uint16_t>(r >> 16);
      raw[2 * k] = static_cast<uint8_t>(w >> 8);
      raw[2 * k + 1] = static_cast<uint8_t>(w);
    }
    IpAddress a = IpAddress::from_v6(raw);
    char glibc[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, raw, glibc, sizeof(glibc)), nullptr);
    std::string ours = a.to_string();
    if (!a.is_v4() && std::strchr(glibc, '.') == nullptr) {
      EXPECT_EQ(ours, glibc);
    }
    Result<IpAddress> back = IpAddress::parse(ours);
    ASSERT_TRUE(back.ok()) << ours;
    EXPECT_EQ(*back, a) << ours;
    Result<IpAddress> from_glibc = IpAddress::parse(glibc);
    ASSERT_TRUE(from_glibc.ok()) << glibc;
    EXPECT_EQ(*from_glibc, a) << glibc;
  }
}

TEST(IpAddress, FromSockaddr) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(443);
  sin.sin_addr.s_addr = htonl(0x68100001);  // 104.16.0.1
  Result<IpAddress> a = IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->to_string(), "104.16.0.1");

  sockaddr_storage ss{};
  std::memcpy(&ss, &sin, sizeof(sin));
  ASSERT_TRUE(IpAddress::from_sockaddr(ss).ok());
  EXPECT_EQ(*IpAddress::from_sockaddr(ss), *a);

  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d: same value as the AF_INET peer.
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:104.16.0.1", &sin6.sin6_addr), 1);
  Result<IpAddress> b = IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, *a);

  ASSERT_EQ(inet_pton(AF_INET6, "2606:4700::6810:1", &sin6.sin6_addr), 1);
  sin6.sin6_scope_id = 3;
  std::memcpy(&ss, &sin6, sizeof(sin6));
  EXPECT_EQ(IpAddress::from_sockaddr(ss)->to_string(), "2606:4700::6810:1");

  // Short lengths and other families are errors, not reads past the buffer.
  EXPECT_FALSE(IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&sin6), sizeof(sin)).ok());
  EXPECT_FALSE(IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&sin), 4).ok());
  EXPECT_FALSE(IpAddress::from_sockaddr(nullptr, 0).ok());
  sockaddr_storage unix_ss{};
  unix_ss.ss_family = AF_UNIX;
  EXPECT_FALSE(IpAddress::from_sockaddr(unix_ss).ok());
}

TEST(IpAddress, FormatDoesNotOverflowLongestForm) {
  IpAddress a = *IpAddress::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  char buf[IpAddress::kMaxTextLength];
  EXPECT_EQ(a.format(buf), 39u);
  IpAddress b = *IpAddress::parse("255.255.255.255");
  EXPECT_EQ(b.format(buf), 15u);
  EXPECT_STREQ(buf, "255.255.255.255");
}

TEST(ParseForwardedIp, SingleTrimmedStrictAddress) {
  EXPECT_EQ(parse_forwarded_ip("203.0.113.7")->to_string(), "203.0.113.7");
  EXPECT_EQ(parse_forwarded_ip("  203.0.113.7\t")->to_string(), "203.0.113.7");
  EXPECT_EQ(parse_forwarded_ip(" 2001:DB8::7 ")->to_string(), "2001:db8::7");
  EXPECT_FALSE(parse_forwarded_ip("").ok());
  EXPECT_FALSE(parse_forwarded_ip("   ").ok());
  EXPECT_FALSE(parse_forwarded_ip("203.0.113.7, 10.0.0.1").ok());  // XFF-style list
  EXPECT_FALSE(parse_forwarded_ip("203.0.113.7 10.0.0.1").ok());
  EXPECT_FALSE(parse_forwarded_ip("203.0.113.7:443").ok());
  EXPECT_FALSE(parse_forwarded_ip("[2001:db8::7]").ok());
  EXPECT_FALSE(parse_forwarded_ip("fe80::1%eth0").ok());
  EXPECT_FALSE(parse_forwarded_ip("unknown").ok());
  EXPECT_FALSE(parse_forwarded_ip("0x7f.1").ok());
  EXPECT_FALSE(parse_forwarded_ip(std::string_view("1.2.3.4\0", 8)).ok());
  EXPECT_FALSE(parse_forwarded_ip("1.2.3.4\r\n").ok());
}

}  // namespace
}  // namespace portcullis::net
