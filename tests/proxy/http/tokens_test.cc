#include "proxy/http/tokens.h"

#include <gtest/gtest.h>

namespace portcullis::http {
namespace {

TEST(Tokens, Iequals) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Host", "Hosts"));
  EXPECT_FALSE(iequals("Host", "Hose"));
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));  // no Unicode folding
  EXPECT_FALSE(iequals("[", "{"));                // 0x5B vs 0x7B: not letters
  EXPECT_FALSE(iequals("@", "`"));
}

TEST(Tokens, HasToken) {
  EXPECT_TRUE(has_token("close", "close"));
  EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(has_token(" \tKeep-Alive\t ,x", "keep-alive"));
  EXPECT_TRUE(has_token(",,close,", "close"));
  EXPECT_FALSE(has_token("keep-alive-x", "keep-alive"));
  EXPECT_FALSE(has_token("xclose", "close"));
  EXPECT_FALSE(has_token("clo se", "close"));
  EXPECT_FALSE(has_token("", "close"));
  EXPECT_FALSE(has_token("close;q=1", "close"));
}

TEST(Tokens, TrimOws) {
  EXPECT_EQ(trim_ows(" \t a b \t"), "a b");
  EXPECT_EQ(trim_ows("  "), "");
  EXPECT_EQ(trim_ows(""), "");
}

}  // namespace
}  // namespace portcullis::http
