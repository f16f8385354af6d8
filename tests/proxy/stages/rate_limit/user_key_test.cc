#include "proxy/stages/rate_limit/user_key.h"

#include <gtest/gtest.h>

#include "tests/proxy/stages/rate_limit/test_util.h"

namespace portcullis::rate_limit {
namespace {

std::string B64url(std::string_view in) {
  static constexpr char kAlpha[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlpha[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlpha[(acc << (6 - bits)) & 63];
  return out;
}

std::string Jwt(std::string_view payload_json) {
  return B64url(R"({"alg":"HS256","typ":"JWT"})") + "." + B64url(payload_json) + ".c2ln";
}

std::string Claim(std::string_view payload, std::string_view claim = "sub") {
  char buf[kMaxUserId];
  return std::string(jwt_claim(Jwt(payload), claim, buf));
}

TEST(Base64Url, DecodesWithAndWithoutPadding) {
  char out[32];
  size_t n = 0;
  ASSERT_TRUE(base64url_decode("aGVsbG8", out, sizeof(out), &n));
  EXPECT_EQ(std::string(out, n), "hello");
  ASSERT_TRUE(base64url_decode("aGVsbG8=", out, sizeof(out), &n));
  EXPECT_EQ(std::string(out, n), "hello");
  ASSERT_TRUE(base64url_decode("_-8", out, sizeof(out), &n));
  EXPECT_EQ(n, 2u);
  EXPECT_FALSE(base64url_decode("a", out, sizeof(out), &n));
  EXPECT_FALSE(base64url_decode("a$bc", out, sizeof(out), &n));
  EXPECT_FALSE(base64url_decode("aGVsbG8", out, 3, &n));  // does not fit
}

TEST(JwtClaim, ReadsTopLevelClaims) {
  EXPECT_EQ(Claim(R"({"sub":"alice","iat":1})"), "alice");
  EXPECT_EQ(Claim(R"({ "iat" : 1 , "sub" : "bob" })"), "bob");
  EXPECT_EQ(Claim(R"({"sub":12345})"), "12345");
  EXPECT_EQ(Claim(R"({"uid":"u-9","sub":"x"})", "uid"), "u-9");
  EXPECT_EQ(Claim(R"({"a\"b":"x","sub":"c\/d"})"), "c/d");
}

TEST(JwtClaim, SkipsNestedValuesAndIgnoresNestedKeys) {
  EXPECT_EQ(Claim(R"({"ctx":{"sub":"inner","l":[1,{"sub":"x"}]},"sub":"outer"})"), "outer");
  EXPECT_EQ(Claim(R"({"ctx":{"sub":"inner"}})"), "");
}

TEST(JwtClaim, RejectsMalformed) {
  char buf[kMaxUserId];
  EXPECT_EQ(jwt_claim("not-a-jwt", "sub", buf), "");
  EXPECT_EQ(jwt_claim("a.!!!.c", "sub", buf), "");
  EXPECT_EQ(Claim(R"(["sub","x"])"), "");
  EXPECT_EQ(Claim(R"({"sub":true})"), "");
  EXPECT_EQ(Claim(R"({"sub":""})"), "");
  EXPECT_EQ(Claim(R"({"sub":"\u0041"})"), "");  // escapes other than \" \\ \/ are not ids
  EXPECT_EQ(Claim(std::string(R"({"sub":")") + std::string(200, 'x') + "\"}"), "");  // too long
  EXPECT_EQ(Claim(R"({"sub":"x")"), "x");  // truncated object: the claim was already read
}

TEST(ExtractUser, HeaderThenBearerJwt) {
  UserKeySettings s;
  s.header = "x-user-id";
  testutil::TestRequest r;
  r.headers = {{"Authorization", "Bearer " + Jwt(R"({"sub":"jwt-user"})")}};
  r.Build();
  char buf[kMaxUserId];
  EXPECT_EQ(extract_user(s, r.head, buf), "jwt-user");
  r.headers.push_back({"X-User-Id", "  header-user "});
  r.Build();
  EXPECT_EQ(extract_user(s, r.head, buf), "header-user");
  // A bare token (no "Bearer ") works too; no JWT header configured -> nothing.
  testutil::TestRequest bare;
  bare.headers = {{"authorization", Jwt(R"({"sub":"bare"})")}};
  bare.Build();
  EXPECT_EQ(extract_user(s, bare.head, buf), "bare");
  s.jwt_header.clear();
  EXPECT_EQ(extract_user(s, bare.head, buf), "");
}

}  // namespace
}  // namespace portcullis::rate_limit
