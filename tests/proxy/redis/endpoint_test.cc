#include "proxy/redis/endpoint.h"

#include <gtest/gtest.h>

namespace portcullis::redis {
namespace {

TEST(RedisEndpoint, ParsesHostPortDb) {
  auto ep = parse_url("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(ep.ok()) << ep.error().reason;
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 2u);
  EXPECT_TRUE(ep->password.empty());
  EXPECT_EQ(ep->to_string(), "127.0.0.1:6380/2");
}

TEST(RedisEndpoint, DefaultsAndLocalhost) {
  auto ep = parse_url("redis://localhost");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->db, 0u);
}

TEST(RedisEndpoint, Credentials) {
  auto ep = parse_url("redis://:s%40cret@127.0.0.1:7000");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->password, "s@cret");
  EXPECT_TRUE(ep->user.empty());
  auto acl = parse_url("redis://alice:pw@127.0.0.1");
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(acl->user, "alice");
  EXPECT_EQ(acl->password, "pw");
  auto lone = parse_url("redis://pw@127.0.0.1");
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(lone->password, "pw");
  // The password never appears in the printable form.
  EXPECT_EQ(ep->to_string().find("cret"), std::string::npos);
}

TEST(RedisEndpoint, Ipv6) {
  auto ep = parse_url("redis://[::1]:6379");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->to_string(), "[::1]:6379/0");
}

TEST(RedisEndpoint, TlsScheme) {
  auto ep = parse_url("rediss://:pw@localhost:6390/1");
  ASSERT_TRUE(ep.ok()) << ep.error().reason;
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->url_host, "localhost");  // the name the certificate is checked against
  EXPECT_EQ(ep->port, 6390);
  EXPECT_EQ(ep->to_string(), "127.0.0.1:6390/1 tls");
  auto plain = parse_url("redis://localhost");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
  EXPECT_NE(ep.value(), parse_url("redis://:pw@localhost:6390/1").value());
}

TEST(RedisEndpoint, Rejects) {
  EXPECT_FALSE(parse_url("http://127.0.0.1").ok());
  EXPECT_FALSE(parse_url("redis:/127.0.0.1").ok());
  EXPECT_FALSE(parse_url("redis://127.0.0.1:0").ok());
  EXPECT_FALSE(parse_url("redis://127.0.0.1:99999").ok());
  EXPECT_FALSE(parse_url("redis://127.0.0.1:x").ok());
  EXPECT_FALSE(parse_url("redis://127.0.0.1/db").ok());
  EXPECT_FALSE(parse_url("redis://").ok());
  EXPECT_FALSE(parse_url("redis://:%zz@127.0.0.1").ok());
  EXPECT_FALSE(parse_url("redis://host.invalid").ok());  // resolved at load, not per connect
}

}  // namespace
}  // namespace portcullis::redis
