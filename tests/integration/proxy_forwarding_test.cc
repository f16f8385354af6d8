// What reaches the origin and what comes back: normalization, hop-by-hop headers, correlation ids,
// keep-alive on both sides, pipelining and body framing in both directions.
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

class Forwarding : public ProxyTest {
 protected:
  void SetUp() override { StartProxy(); }
};

TEST_F(Forwarding, ForwardsNormalizedHeadAndStripsHopByHop) {
  auto r =
      Fetch(port(),
            "GET /a/b?x=1 HTTP/1.1\r\nHost: app.example\r\nConnection: keep-alive, X-Secret\r\n"
            "X-Secret: drop-me\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
            "Proxy-Authorization: Basic Zm9vOmJhcg==\r\nX-Forwarded-For: 203.0.113.9\r\n"
            "X-Forwarded-Proto: https\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  const std::string& echo = r->body;
  EXPECT_NE(echo.find("GET /a/b?x=1 HTTP/1.1\r\n"), std::string::npos) << echo;
  EXPECT_NE(echo.find("Host: app.example\r\n"), std::string::npos);
  EXPECT_NE(echo.find("Accept: */*\r\n"), std::string::npos);
  EXPECT_EQ(echo.find("X-Secret"), std::string::npos) << "header named in Connection leaked";
  EXPECT_EQ(echo.find("Keep-Alive"), std::string::npos);
  EXPECT_EQ(echo.find("TE:"), std::string::npos);
  EXPECT_EQ(echo.find("Proxy-Authorization"), std::string::npos);
  EXPECT_NE(echo.find("X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\n"), std::string::npos) << echo;
  EXPECT_NE(echo.find("X-Forwarded-Proto: http\r\n"), std::string::npos)
      << "client value must be replaced";
  EXPECT_EQ(echo.find("X-Forwarded-Proto: https"), std::string::npos);
}

TEST_F(Forwarding, CreatesRequestIdAndReturnsIt) {
  auto r = Fetch(port(), Get("/"));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->headers.count("x-request-id"), 1u);
  const std::string id = r->headers["x-request-id"];
  EXPECT_EQ(id.size(), 32u);
  EXPECT_NE(r->body.find("X-Request-Id: " + id + "\r\n"), std::string::npos);
}

TEST_F(Forwarding, KeepsValidIncomingRequestIdAndReplacesInvalidOne) {
  auto ok = Fetch(port(), Get("/", "X-Request-Id: edge-1234.abc\r\n"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->headers["x-request-id"], "edge-1234.abc");
  EXPECT_NE(ok->body.find("X-Request-Id: edge-1234.abc\r\n"), std::string::npos);
  auto bad = Fetch(port(), Get("/", "X-Request-Id: <script>\r\n"));
  ASSERT_TRUE(bad.has_value());
  EXPECT_NE(bad->headers["x-request-id"], "<script>");
  EXPECT_EQ(bad->body.find("<script>"), std::string::npos);
}

TEST_F(Forwarding, KeepAliveReusesClientAndOriginConnections) {
  int fd = ConnectTcp(port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(SendAll(fd, Get("/ka/" + std::to_string(i))));
    auto r = ReadResponse(fd);
    ASSERT_TRUE(r.has_value()) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("GET /ka/" + std::to_string(i) + " "), std::string::npos);
  }
  close(fd);
  EXPECT_EQ(origin_->requests_served(), 5u);
  // (The origin also sees the readiness probe's connections, so count on the proxy side.)
  auto m = Fetch(proxy_->admin_port(), Get("/metrics"));
  ASSERT_TRUE(m.has_value());
  EXPECT_NE(m->body.find("portcullis_upstream_connects_total 1\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("portcullis_upstream_reused_total 4\n"), std::string::npos);
}

TEST_F(Forwarding, PipelinedRequestsAreAnsweredInOrder) {
  int fd = ConnectTcp(port());
  ASSERT_GE(fd, 0);
  std::string batch = Get("/delay/100") + Get("/p/2") + Get("/bytes/5") + Get("/p/4");
  ASSERT_TRUE(SendAll(fd, batch));
  auto r1 = ReadResponse(fd);
  auto r2 = ReadResponse(fd);
  auto r3 = ReadResponse(fd);
  auto r4 = ReadResponse(fd);
  ASSERT_TRUE(r1 && r2 && r3 && r4);
  EXPECT_NE(r1->body.find("GET /delay/100 "), std::string::npos);
  EXPECT_NE(r2->body.find("GET /p/2 "), std::string::npos);
  EXPECT_EQ(r3->body, "xxxxx");
  EXPECT_NE(r4->body.find("GET /p/4 "), std::string::npos);
  close(fd);
}

TEST_F(Forwarding, ChunkedRequestBodyIsDecodedAndRechunked) {
  auto r = Fetch(port(),
                 "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  // The origin (independent parser) de-chunked exactly the body; no extension or trailer leaked.
  EXPECT_NE(r->body.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(r->body.substr(r->body.size() - 12), "hello, world");
  EXPECT_EQ(r->body.find("ext=1"), std::string::npos);
  EXPECT_EQ(r->body.find("X-Trailer"), std::string::npos);
}

TEST_F(Forwarding, ContentLengthBodyIsForwardedExactly) {
  std::string body(100000, 'b');
  auto r = Fetch(port(), "PUT /put HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" + body);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("Content-Length: 100000\r\n"), std::string::npos);
  EXPECT_EQ(r->body.substr(r->body.size() - body.size()), body);
}

TEST_F(Forwarding, ChunkedAndCloseDelimitedResponsesReachTheClient) {
  auto c = Fetch(port(), Get("/chunked"));
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->chunked);
  EXPECT_EQ(c->body, "hello hello hello hello ");
  // A close-delimited origin response is re-framed as chunked, so the client connection survives.
  int fd = ConnectTcp(port());
  ASSERT_TRUE(SendAll(fd, Get("/close")));
  auto r = ReadResponse(fd);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->chunked);
  EXPECT_EQ(r->body, "close-delimited body");
  ASSERT_TRUE(SendAll(fd, Get("/after-close")));
  auto r2 = ReadResponse(fd);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, 200);
  close(fd);
}

TEST_F(Forwarding, Http10ClientGetsCloseDelimitedBody) {
  int fd = ConnectTcp(port());
  ASSERT_TRUE(SendAll(fd, "GET /chunked HTTP/1.0\r\nHost: a\r\n\r\n"));
  auto r = ReadResponse(fd);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->chunked);
  EXPECT_EQ(r->body, "hello hello hello hello ");
  close(fd);
}

TEST_F(Forwarding, HeadAnd204And304HaveNoBody) {
  int fd = ConnectTcp(port());
  ASSERT_TRUE(SendAll(fd, "HEAD /bytes/1234 HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto h = ReadResponse(fd, 5000, /*head_request=*/true);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->headers["content-length"], "1234");
  for (const char* path : {"/status/204", "/status/304"}) {
    ASSERT_TRUE(SendAll(fd, Get(path)));
    auto r = ReadResponse(fd);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body, "");
    EXPECT_EQ(r->headers.count("transfer-encoding"), 0u);
  }
  // The connection is still in sync after the bodiless responses.
  ASSERT_TRUE(SendAll(fd, Get("/bytes/3")));
  auto r = ReadResponse(fd);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "xxx");
  close(fd);
}

TEST_F(Forwarding, ExpectContinueIsAnsweredBeforeTheBody) {
  int fd = ConnectTcp(port());
  ASSERT_TRUE(SendAll(fd,
                      "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                      "Expect: 100-continue\r\n\r\n"));
  auto interim = ReadResponse(fd, 3000);
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(SendAll(fd, "data"));
  auto r = ReadResponse(fd);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.substr(r->body.size() - 4), "data");
  EXPECT_EQ(r->body.find("Expect:"), std::string::npos);
  close(fd);
}

TEST_F(Forwarding, EarlyHintsAreForwarded) {
  int fd = ConnectTcp(port());
  ASSERT_TRUE(SendAll(fd, Get("/early-hints")));
  auto hints = ReadResponse(fd);
  ASSERT_TRUE(hints.has_value());
  EXPECT_EQ(hints->status, 103);
  auto r = ReadResponse(fd);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  close(fd);
}

TEST_F(Forwarding, UpgradeIsTunnelled) {
  int fd = ConnectTcp(port());
  ASSERT_TRUE(
      SendAll(fd,
              "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
  auto r = ReadResponse(fd);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 101);
  EXPECT_EQ(r->headers["upgrade"], "websocket");
  const std::string payload = "\x81\x05hello-through-the-tunnel";
  ASSERT_TRUE(SendAll(fd, payload));
  std::string got;
  char buf[256];
  while (got.size() < payload.size()) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, payload);
  close(fd);
}

}  // namespace
}  // namespace portcullis::testing
