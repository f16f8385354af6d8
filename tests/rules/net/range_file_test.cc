#include "rules/net/range_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "rules/net/cloudflare_ranges.h"

namespace portcullis::net {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CivilDate, ParseStrictAndDays) {
  EXPECT_EQ(CivilDate::parse("1970-01-01")->days_since_epoch(), 0);
  EXPECT_EQ(CivilDate::parse("2000-03-01")->days_since_epoch(), 11017);
  EXPECT_EQ(CivilDate::parse("2026-12-04")->days_since_epoch(), 20791);
  EXPECT_TRUE(CivilDate::parse("2024-02-29").ok());
  for (const char* bad : {"2023-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                          "2026-4-01", "26-04-01", "2026/04/01", "2026-04-01x", "", "2026-04-0a"}) {
    EXPECT_FALSE(CivilDate::parse(bad).ok()) << bad;
  }
}

TEST(RangeFile, TakenHeader) {
  Result<RangeFile> f = parse_range_file("# list\n#  taken:  2025-06-30 \n1.2.3.0/24\n", "f");
  ASSERT_TRUE(f.ok()) << f.error().reason;
  ASSERT_TRUE(f->taken.has_value());
  EXPECT_EQ(*f->taken, (CivilDate{2025, 6, 30}));
  EXPECT_TRUE(f->set.contains(*IpAddress::parse("1.2.3.4")));

  Result<RangeFile> none = parse_range_file("1.2.3.0/24\n# taken: 2025-06-30\n", "f");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->taken.has_value());  // only the leading comment block counts

  Result<RangeFile> bad = parse_range_file("# x\n# taken: 2025-6-30\n", "cf.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "cf.txt:2: bad 'taken:' header: date is not YYYY-MM-DD");
  Result<RangeFile> dup = parse_range_file("# taken: 2025-06-30\n# taken: 2025-07-01\n", "cf.txt");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().reason, "cf.txt:2: second 'taken:' header");
  Result<RangeFile> bad_entry = parse_range_file("# taken: 2025-06-30\n1.2.3.4/33\n", "cf.txt");
  ASSERT_FALSE(bad_entry.ok());
  EXPECT_EQ(bad_entry.error().reason, "cf.txt:2: prefix length out of range '1.2.3.4/33'");
}

TEST(CloudflareRanges, EmbeddedCopyEqualsDataFiles) {
  std::string dir = std::string(PORTCULLIS_SOURCE_DIR) + "/rules/data/";
  std::string v4 = read_file(dir + "cloudflare-ips-v4.txt");
  std::string v6 = read_file(dir + "cloudflare-ips-v6.txt");
  ASSERT_FALSE(v4.empty());
  ASSERT_FALSE(v6.empty());
  EXPECT_EQ(cloudflare_ips_v4_text(), v4) << "re-run cmake after editing rules/data";
  EXPECT_EQ(cloudflare_ips_v6_text(), v6);
}

TEST(CloudflareRanges, ShippedListParsesAndCoversPublishedRanges) {
  Result<RangeFile> cf = cloudflare_ranges();
  ASSERT_TRUE(cf.ok()) << cf.error().reason;
  ASSERT_TRUE(cf->taken.has_value());
  EXPECT_EQ(*cf->taken, (CivilDate{2026, 12, 4}));
  const CidrSet& s = cf->set;
  // 15 published v4 ranges (104.16.0.0/13 and 104.24.0.0/14 are adjacent and merge) and 7 v6.
  EXPECT_EQ(s.v4_range_count(), 14u);
  EXPECT_EQ(s.v6_range_count(), 7u);
  for (const char* in : {"173.245.48.0",      "173.245.63.255",
                         "103.21.244.1",      "103.22.203.255",
                         "103.31.4.0",        "141.101.127.255",
                         "108.162.192.0",     "190.93.255.255",
                         "188.114.96.0",      "197.234.243.255",
                         "198.41.255.255",    "162.159.255.255",
                         "104.16.0.0",        "104.27.255.255",
                         "172.71.255.255",    "131.0.75.255",
                         "::ffff:104.16.0.1", "2400:cb00::1",
                         "2606:4700:ffff::1", "2803:f800::",
                         "2405:b500::",       "2405:8100:ffff:ffff:ffff:ffff:ffff:ffff",
                         "2a06:98c7::1",      "2c0f:f248::"}) {
    EXPECT_TRUE(s.contains(*IpAddress::parse(in))) << in;
  }
  for (const char* out :
       {"173.245.64.0", "104.28.0.0", "172.72.0.0", "162.157.255.255", "1.1.1.1", "8.8.8.8",
        "127.0.0.1", "10.0.0.1", "2606:4701::", "2a06:98c8::", "::1", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(s.contains(*IpAddress::parse(out))) << out;
  }
}

}  // namespace
}  // namespace portcullis::net
