#include "proxy/config/values.h"

#include <gtest/gtest.h>

#include <thread>

namespace portcullis::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, UnitsAndBareMilliseconds) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (Case c : {Case{"10s", 10000}, Case{"500ms", 500}, Case{"2m", 120000}, Case{"1h", 3600000},
                 Case{"250", 250}, Case{"24h", 86400000}, Case{"1ms", 1}}) {
    auto r = parse_duration(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().reason;
    EXPECT_EQ(r->count(), c.ms) << c.text;
  }
}

TEST(ParseDuration, Rejects) {
  for (const char* text : {"", "0", "0s", "-1s", "s", "10 s", "10S", "1.5s", "10sec", "1d", "25h",
                           "86400001", "99999999999999999999999h"}) {
    EXPECT_FALSE(parse_duration(text).ok()) << text;
  }
}

TEST(ParseSize, UnitsAreBinaryAndCaseInsensitive) {
  struct Case {
    const char* text;
    uint64_t bytes;
  };
  for (Case c : {Case{"0", 0}, Case{"123", 123}, Case{"123b", 123}, Case{"16k", 16384},
                 Case{"16K", 16384}, Case{"16KiB", 16384}, Case{"16kb", 16384},
                 Case{"10m", 10ull << 20}, Case{"10MiB", 10ull << 20}, Case{"1g", 1ull << 30},
                 Case{"1GiB", 1ull << 30}, Case{"2GB", 2ull << 30}}) {
    auto r = parse_size(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().reason;
    EXPECT_EQ(*r, c.bytes) << c.text;
  }
}

TEST(ParseSize, Rejects) {
  for (const char* text :
       {"", "k", "-1", "1.5m", "10 m", "10t", "10kk", "17179869184g", "18446744073709551616"}) {
    EXPECT_FALSE(parse_size(text).ok()) << text;
  }
}

TEST(ParseUint, StrictDecimal) {
  EXPECT_EQ(*parse_uint("42"), 42u);
  EXPECT_EQ(*parse_uint("18446744073709551615"), UINT64_MAX);
  for (const char* text : {"", "+1", "-1", " 1", "1 ", "0x10", "1e3", "18446744073709551616"}) {
    EXPECT_FALSE(parse_uint(text).ok()) << text;
  }
}

TEST(ParseHostPort, ListenerForms) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (Case c : {Case{"0.0.0.0:8080", "0.0.0.0", 8080}, Case{"127.0.0.1:0", "127.0.0.1", 0},
                 Case{"*:80", "0.0.0.0", 80}, Case{":443", "0.0.0.0", 443},
                 Case{"localhost:9000", "127.0.0.1", 9000}, Case{"[::1]:8080", "::1", 8080},
                 Case{"[::]:8080", "::", 8080}, Case{"10.0.0.1:65535", "10.0.0.1", 65535}}) {
    auto r = parse_host_port(c.text, AddressUse::kListener);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().reason;
    EXPECT_EQ(r->host, c.host) << c.text;
    EXPECT_EQ(r->port, c.port) << c.text;
  }
}

TEST(ParseHostPort, Rejects) {
  for (const char* text :
       {"", "8080", "0.0.0.0", "0.0.0.0:", "0.0.0.0:65536", "0.0.0.0:-1", "0.0.0.0:80x", "::1:8080",
        "[::1]8080", "[::1", "[nope]:80", "256.0.0.1:80", "example.com:80",
        "[fe80::1%lo]:1"}) {  // zone ids: inet_pton rejects them
    EXPECT_FALSE(parse_host_port(text, AddressUse::kListener).ok()) << text;
  }
  EXPECT_TRUE(parse_host_port("127.0.0.1:0", AddressUse::kAdmin).ok());  // ephemeral, for tests
  EXPECT_FALSE(parse_host_port("127.0.0.1:0", AddressUse::kOrigin).ok());
  EXPECT_FALSE(parse_host_port(":80", AddressUse::kOrigin).ok());
}

TEST(ParseHostPort, ToStringBracketsIpv6) {
  EXPECT_EQ((HostPort{"::1", 8080}).to_string(), "[::1]:8080");
  EXPECT_EQ((HostPort{"10.1.2.3", 80}).to_string(), "10.1.2.3:80");
  EXPECT_EQ((HostPort{"backend.internal", 3000}).to_string(), "backend.internal:3000");
}

TEST(ParseOrigin, Forms) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (Case c :
       {Case{"127.0.0.1:3000", "127.0.0.1", 3000}, Case{"backend:8080", "backend", 8080},
        Case{"http://backend:8080", "backend", 8080}, Case{"http://backend:8080/", "backend", 8080},
        Case{"HTTP://app.internal", "app.internal", 80}, Case{"http://[::1]:9000/", "::1", 9000},
        Case{"http://[::1]", "::1", 80}, Case{"my_service:80", "my_service", 80}}) {
    auto r = parse_origin_address(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().reason;
    EXPECT_EQ(r->host, c.host) << c.text;
    EXPECT_EQ(r->port, c.port) << c.text;
  }
  for (const char* text : {"https://backend:443", "ftp://x:21", "http://backend:80/api",
                           "http://backend:80/?q", "http://user@backend:80", "http://", "backend",
                           "-bad-:80", "a..b:80", "bad-.x:80", "http://backend:0"}) {
    EXPECT_FALSE(parse_origin_address(text).ok()) << text;
  }
}

TEST(ParseWorkers, AutoAndRange) {
  auto a = parse_workers("auto");
  ASSERT_TRUE(a.ok());
  unsigned hc = std::thread::hardware_concurrency();
  EXPECT_EQ(*a, std::clamp<uint32_t>(hc, 1, 256));
  EXPECT_EQ(*parse_workers("1"), 1u);
  EXPECT_EQ(*parse_workers("256"), 256u);
  for (const char* text : {"0", "257", "-1", "Auto", "", "2.5"}) {
    EXPECT_FALSE(parse_workers(text).ok()) << text;
  }
}

TEST(ParseStageMode, ThreeModesOnly) {
  EXPECT_EQ(*parse_stage_mode("enforce"), StageMode::kEnforce);
  EXPECT_EQ(*parse_stage_mode("monitor"), StageMode::kMonitor);
  EXPECT_EQ(*parse_stage_mode("off"), StageMode::kOff);
  for (const char* text : {"Enforce", "block", "", "true", "on"}) {
    EXPECT_FALSE(parse_stage_mode(text).ok()) << text;
  }
}

TEST(ParseMethod, TokenUppercased) {
  EXPECT_EQ(*parse_method("get"), "GET");
  EXPECT_EQ(*parse_method("PROPFIND"), "PROPFIND");
  EXPECT_EQ(*parse_method("M-SEARCH"), "M-SEARCH");
  for (const char* text : {"", "GE T", "GET\r", "GE(T", "G\"ET", "GET/1"}) {
    EXPECT_FALSE(parse_method(text).ok()) << text;
  }
  EXPECT_FALSE(parse_method(std::string(33, 'A')).ok());
}

TEST(ParseBool, StrictTrueFalse) {
  EXPECT_TRUE(*parse_bool("true"));
  EXPECT_FALSE(*parse_bool("false"));
  for (const char* text : {"yes", "no", "on", "off", "1", "True", ""}) {
    EXPECT_FALSE(parse_bool(text).ok()) << text;
  }
}

TEST(EditDistance, Basics) {
  EXPECT_EQ(edit_distance("listen", "listen"), 0u);
  EXPECT_EQ(edit_distance("listne", "listen"), 2u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace portcullis::config
