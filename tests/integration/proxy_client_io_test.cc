// The client I/O path (proxy/tls/transport.h driven by Connection): what the bufferevents used to
// do for us and now must still hold, over TLS and plaintext. Small buffers (buffer_bytes 16k) so
// every test crosses the backpressure watermarks: pipelined requests in one TLS record (read-ahead
// plaintext that no socket event announces), a large body up, a large response to a client that
// does not read at first (EPOLLOUT and the upstream pause), close_notify on a server close, and
// handshake failures counted while bare TCP probes are not.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/support/tls_client.h"

namespace portcullis::testing {
namespace {

constexpr char kLimits[] = "limits:\n  buffer_bytes: 16k\n  max_body_bytes: 8m\n";

class ClientIo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/portcullis-clientio-XXXXXX";
    dir_ = new std::string(mkdtemp(tmpl));
    ASSERT_TRUE(MakeCa(*dir_, "ca"));
    ASSERT_TRUE(MakeLeaf(*dir_, "ca", "a", "a.example.test"));
  }
  static void TearDownTestSuite() {
    std::string cmd = "rm -rf '" + *dir_ + "'";
    (void)!system(cmd.c_str());
    delete dir_;
  }

  void SetUp() override {
    std::string cfg = BaseConfig(origin_.port(), kLimits);
    cfg.replace(0, std::string("listen: \"127.0.0.1:0\"\n").size(),
                "listen:\n"
                "  - \"127.0.0.1:0\"\n"
                "  - address: \"127.0.0.1:0\"\n"
                "    tls: {certificates: [{cert: \"" +
                    *dir_ + "/a.pem\", key: \"" + *dir_ + "/a.key\"}]}\n");
    proxy_ = ProxyProcess::Start(cfg);
    ASSERT_NE(proxy_, nullptr);
    ASSERT_NE(proxy_->tls_port(), 0);
  }

  // The value of an unlabeled counter from /metrics, or -1.
  long Counter(const std::string& name) {
    auto m = Fetch(proxy_->admin_port(), Get("/metrics"));
    if (!m.has_value()) return -1;
    size_t at = m->body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::strtol(m->body.c_str() + at + name.size() + 2, nullptr, 10);
  }

  static std::string* dir_;
  TestOrigin origin_;
  std::unique_ptr<ProxyProcess> proxy_;
};
std::string* ClientIo::dir_ = nullptr;

std::string Post(std::string_view target, size_t n, char fill) {
  std::string req = "POST " + std::string(target) +
                    " HTTP/1.1\r\nHost: shop.example.com\r\nContent-Type: "
                    "application/octet-stream\r\nContent-Length: " +
                    std::to_string(n) + "\r\n\r\n";
  req.append(n, fill);
  return req;
}

TEST_F(ClientIo, TlsPipelinedRequestsInOneRecordAreAnsweredInOrder) {
  auto c = TlsConnection::Connect(proxy_->tls_port(), {.sni = "a.example.test"});
  ASSERT_NE(c, nullptr);
  // One SSL_write: both heads arrive in one record, the second one only inside OpenSSL's buffer.
  ASSERT_TRUE(c->Send(Get("/first") + Get("/second") + Get("/third")));
  for (const char* path : {"GET /first ", "GET /second ", "GET /third "}) {
    auto r = c->ReadResponse();
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find(path), std::string::npos) << r->body;
  }
}

TEST_F(ClientIo, TlsLargeResponseToAClientThatReadsLateArrivesWhole) {
  auto c = TlsConnection::Connect(proxy_->tls_port(), {.sni = "a.example.test"});
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(Get("/bytes/3000000")));
  // The socket fills: the proxy must wait for EPOLLOUT and pause the origin meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = c->ReadResponse(20000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(r->body.size(), 3000000u);
  EXPECT_EQ(r->body.find_first_not_of('x'), std::string::npos);
  // The connection is still usable afterwards.
  ASSERT_TRUE(c->Send(Get("/after")));
  auto again = c->ReadResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
}

TEST_F(ClientIo, TlsLargeRequestBodyStreamsThroughSmallBuffers) {
  auto c = TlsConnection::Connect(proxy_->tls_port(), {.sni = "a.example.test"});
  ASSERT_NE(c, nullptr);
  constexpr size_t kBody = 2 * 1024 * 1024;
  ASSERT_TRUE(c->Send(Post("/upload", kBody, 'b')));
  auto r = c->ReadResponse(20000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  // The origin echoes the body it received after its head.
  size_t at = r->body.find("\r\n\r\n");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(r->body.size() - at - 4, kBody);
  EXPECT_EQ(r->body.find_first_not_of('b', at + 4), std::string::npos);
}

TEST_F(ClientIo, TlsServerCloseSendsCloseNotify) {
  int fd = ConnectTcp(proxy_->tls_port());
  ASSERT_GE(fd, 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "a.example.test");
  ASSERT_EQ(SSL_connect(ssl), 1);
  std::string req = Get("/bye", "Connection: close\r\n");
  ASSERT_EQ(SSL_write(ssl, req.data(), static_cast<int>(req.size())), static_cast<int>(req.size()));
  std::string got;
  char buf[4096];
  int n;
  while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  // SSL_ERROR_ZERO_RETURN: the stream ended with close_notify, not a bare FIN (RFC 8446 6.1).
  EXPECT_EQ(SSL_get_error(ssl, n), SSL_ERROR_ZERO_RETURN);
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  EXPECT_NE(got.find("GET /bye "), std::string::npos);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  close(fd);
}

// TLS 1.3 KeyUpdate (RFC 8446 4.6.3) mid-connection, with an update of the server's keys
// requested: the proxy's reads and writes go on under the new keys.
TEST_F(ClientIo, TlsKeyUpdateMidConnection) {
  int fd = ConnectTcp(proxy_->tls_port());
  ASSERT_GE(fd, 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "a.example.test");
  ASSERT_EQ(SSL_connect(ssl), 1);
  auto exchange = [&](const std::string& path) {
    std::string req = Get(path);
    if (SSL_write(ssl, req.data(), static_cast<int>(req.size())) != static_cast<int>(req.size())) {
      return std::string();
    }
    std::string got;
    char buf[4096];
    while (got.find("\r\n\r\n") == std::string::npos || got.find(path + " ") == std::string::npos) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  };
  EXPECT_NE(exchange("/before-update").find("GET /before-update "), std::string::npos);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED), 1);
    std::string path = "/after-update-" + std::to_string(i);
    std::string got = exchange(path);
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
    EXPECT_NE(got.find("GET " + path + " "), std::string::npos) << got;
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  close(fd);
}

TEST_F(ClientIo, HandshakeFailuresAreCountedAndTcpProbesAreNot) {
  // A load balancer's TCP health check: connect, close. Not a handshake failure.
  int probe = ConnectTcp(proxy_->tls_port());
  ASSERT_GE(probe, 0);
  close(probe);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Counter("portcullis_tls_handshake_failures_total"), 0);
  // Plain HTTP on the TLS port: a failed handshake, the connection closed.
  int fd = ConnectTcp(proxy_->tls_port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, Get("/plain-on-tls")));
  EXPECT_TRUE(WaitClosed(fd, 5000));
  close(fd);
  long failures = -1;
  for (int i = 0; i < 50 && failures < 1; ++i) {
    failures = Counter("portcullis_tls_handshake_failures_total");
    if (failures < 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(failures, 1);
  // The listener is fine.
  auto c = TlsConnection::Connect(proxy_->tls_port(), {.sni = "a.example.test"});
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(Get("/fine")));
  auto r = c->ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(ClientIo, PlainLargeResponseToAClientThatReadsLateArrivesWhole) {
  int fd = ConnectTcp(proxy_->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, Get("/bytes/3000000") + Get("/next")));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = ReadResponse(fd, 20000);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->body.size(), 3000000u);
  EXPECT_EQ(r->body.find_first_not_of('x'), std::string::npos);
  // The pipelined request waited its turn.
  auto next = ReadResponse(fd);
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->body.find("GET /next "), std::string::npos);
  close(fd);
}

TEST_F(ClientIo, PlainLargeRequestBodyStreamsThroughSmallBuffers) {
  int fd = ConnectTcp(proxy_->port());
  ASSERT_GE(fd, 0);
  constexpr size_t kBody = 2 * 1024 * 1024;
  ASSERT_TRUE(SendAll(fd, Post("/upload", kBody, 'p')));
  auto r = ReadResponse(fd, 20000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  size_t at = r->body.find("\r\n\r\n");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(r->body.size() - at - 4, kBody);
  close(fd);
}

class ClientIoTimeouts : public ProxyTest {};

// The body timeout guards a request body only: once the body is in, the connection is back
// under the (longer) keep-alive timeout, for TLS and plaintext alike.
TEST_F(ClientIoTimeouts, BodyTimeoutEndsWithTheBody) {
  StartProxy("timeouts:\n  body_idle: 300ms\n  keepalive_idle: 10s\n");
  int fd = ConnectTcp(port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, Post("/with-body", 1000, 'q')));
  auto r = ReadResponse(fd);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  ASSERT_TRUE(SendAll(fd, Get("/still-open")));
  auto again = ReadResponse(fd);
  ASSERT_TRUE(again.has_value()) << "closed by the body timeout while idle";
  EXPECT_NE(again->body.find("GET /still-open "), std::string::npos);
  close(fd);
}

// A stalled body still gets its 408 from the client read timeout.
TEST_F(ClientIoTimeouts, StalledBodyGets408) {
  StartProxy("timeouts:\n  body_idle: 300ms\n  keepalive_idle: 10s\n");
  int fd = ConnectTcp(port());
  ASSERT_GE(fd, 0);
  std::string req = Post("/stall", 1000, 'q');
  ASSERT_TRUE(SendAll(fd, std::string_view(req).substr(0, req.size() - 500)));
  auto r = ReadResponse(fd, 5000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(WaitClosed(fd, 5000));
  close(fd);
}

}  // namespace
}  // namespace portcullis::testing
