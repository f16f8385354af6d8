#include "proxy/stages/rate_limit/route_match.h"

#include <gtest/gtest.h>

namespace portcullis::rate_limit {
namespace {

std::string Norm(std::string_view target) {
  char buf[256];
  return std::string(buf, normalize_path(target, buf, sizeof(buf)));
}

TEST(NormalizePath, DefeatsAliasesOfTheSamePath) {
  EXPECT_EQ(Norm("/login"), "/login");
  EXPECT_EQ(Norm("/login?next=/x"), "/login");
  EXPECT_EQ(Norm("//login"), "/login");
  EXPECT_EQ(Norm("/./login"), "/login");
  EXPECT_EQ(Norm("/a/../login"), "/login");
  EXPECT_EQ(Norm("/../../login"), "/login");
  EXPECT_EQ(Norm("/%6cogin"), "/login");
  EXPECT_EQ(Norm("/%6Cogin#frag"), "/login");
  EXPECT_EQ(Norm("/a%2fb"), "/a%2fb");  // an encoded '/' is not a separator: left alone
  EXPECT_EQ(Norm("/login/"), "/login/");
  EXPECT_EQ(Norm("/"), "/");
  EXPECT_EQ(Norm(""), "/");
  EXPECT_EQ(Norm("http://example.com/login?x"), "/login");
  EXPECT_EQ(Norm("/a/b/./c/.."), "/a/b");
}

TEST(NormalizePath, TruncatesToCapacity) {
  char buf[4];
  EXPECT_EQ(normalize_path("/abcdef", buf, sizeof(buf)), 4u);
  EXPECT_EQ(std::string(buf, 4), "/abc");
}

TEST(RouteMatch, ExactPrefixAndAny) {
  RouteMatch exact({"POST"}, "/login");
  EXPECT_TRUE(exact.matches("POST", "/login"));
  EXPECT_FALSE(exact.matches("GET", "/login"));
  EXPECT_FALSE(exact.matches("POST", "/login/x"));
  EXPECT_FALSE(exact.matches("POST", "/logins"));

  RouteMatch prefix({}, "/api/*");
  EXPECT_TRUE(prefix.matches("GET", "/api"));
  EXPECT_TRUE(prefix.matches("DELETE", "/api/"));
  EXPECT_TRUE(prefix.matches("GET", "/api/v1/x"));
  EXPECT_FALSE(prefix.matches("GET", "/apix"));
  EXPECT_FALSE(prefix.matches("GET", "/"));

  RouteMatch any({"GET", "HEAD"}, "*");
  EXPECT_TRUE(any.matches("HEAD", "/whatever"));
  EXPECT_FALSE(any.matches("POST", "/whatever"));

  RouteMatch root({}, "/*");
  EXPECT_TRUE(root.matches("GET", "/anything/at/all"));
}

}  // namespace
}  // namespace portcullis::rate_limit
