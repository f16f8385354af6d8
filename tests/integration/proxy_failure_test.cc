// Origin failures, timeouts, limits and malformed input: every path must answer or close cleanly
// and leave the proxy serving.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

uint16_t UnusedPort() {
  // Bind and release: nothing listens there afterwards (connect is refused).
  TestOrigin o;
  uint16_t p = o.port();
  o.Stop();
  return p;
}

TEST(Failures, OriginDownGives502AndProxyKeepsServing) {
  auto proxy = ProxyProcess::Start(BaseConfig(UnusedPort()));
  ASSERT_NE(proxy, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto r = Fetch(proxy->port(), Get("/"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 502);
    EXPECT_EQ(r->headers.count("x-request-id"), 1u);
  }
  auto metrics = Fetch(proxy->admin_port(), Get("/metrics"));
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("portcullis_upstream_errors_total{kind=\"connect_refused\"} 3"),
            std::string::npos)
      << metrics->body;
  auto ready = Fetch(proxy->admin_port(), Get("/readyz"));
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 503) << "not ready while the origin is down";
}

TEST(Failures, SlowOriginGives504) {
  TestOrigin origin;
  auto proxy =
      ProxyProcess::Start(BaseConfig(origin.port(), "timeouts:\n  upstream_response: 300ms\n"));
  ASSERT_NE(proxy, nullptr);
  auto r = Fetch(proxy->port(), Get("/delay/3000"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 504);
  auto fast = Fetch(proxy->port(), Get("/fast"));
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(fast->status, 200);
}

TEST(Failures, OriginConnectTimeoutGives504) {
  // A listening socket whose accept queue is full and never drained: further SYNs are dropped,
  // so the proxy's connect hangs until upstream_connect.
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 0), 0);
  socklen_t len = sizeof(addr);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);
  std::vector<int> fillers;
  for (int i = 0; i < 8; ++i) {
    int f = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(f, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(f);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto proxy = ProxyProcess::Start(BaseConfig(port, "timeouts:\n  upstream_connect: 300ms\n"));
  ASSERT_NE(proxy, nullptr);
  auto start = std::chrono::steady_clock::now();
  auto r = Fetch(proxy->port(), Get("/"), 5000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 504);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  auto m = Fetch(proxy->admin_port(), Get("/metrics"));
  ASSERT_TRUE(m.has_value());
  EXPECT_NE(m->body.find("portcullis_upstream_errors_total{kind=\"connect_timeout\"} 1"),
            std::string::npos)
      << m->body;
  for (int f : fillers) close(f);
  close(lfd);
}

TEST(Failures, IdempotentRequestIsRetriedOnceNonIdempotentIsNot) {
  TestOrigin origin;
  auto proxy = ProxyProcess::Start(BaseConfig(origin.port()));
  ASSERT_NE(proxy, nullptr);
  auto get = Fetch(proxy->port(), Get("/drop"));
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->status, 502);
  EXPECT_EQ(origin.requests_served(), 2u) << "GET must be retried exactly once";
  auto post = Fetch(proxy->port(), "POST /drop HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 502);
  EXPECT_EQ(origin.requests_served(), 3u) << "POST must not be retried";
}

TEST(Failures, ClosedPooledOriginConnectionIsNotReused) {
  auto origin = std::make_unique<TestOrigin>();
  uint16_t origin_port = origin->port();
  auto proxy = ProxyProcess::Start(BaseConfig(origin_port));
  ASSERT_NE(proxy, nullptr);
  ASSERT_EQ(Fetch(proxy->port(), Get("/one"))->status, 200);
  origin.reset();  // closes the pooled connection from the origin side
  origin = std::make_unique<TestOrigin>(origin_port);
  auto r = Fetch(proxy->port(), Get("/two"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("GET /two "), std::string::npos);
}

TEST(Failures, SlowlorisHeadIsTimedOut) {
  TestOrigin origin;
  auto proxy = ProxyProcess::Start(BaseConfig(origin.port(), "timeouts:\n  request_head: 300ms\n"));
  ASSERT_NE(proxy, nullptr);
  int fd = ConnectTcp(proxy->port());
  ASSERT_TRUE(SendAll(fd, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: "));
  auto r = ReadResponse(fd, 3000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(WaitClosed(fd, 3000));
  close(fd);
  EXPECT_EQ(origin.requests_served(), 0u);
}

TEST(Failures, IdleKeepAliveConnectionIsClosed) {
  TestOrigin origin;
  auto proxy =
      ProxyProcess::Start(BaseConfig(origin.port(), "timeouts:\n  keepalive_idle: 200ms\n"));
  ASSERT_NE(proxy, nullptr);
  int fd = ConnectTcp(proxy->port());
  ASSERT_TRUE(SendAll(fd, Get("/")));
  ASSERT_TRUE(ReadResponse(fd).has_value());
  EXPECT_TRUE(WaitClosed(fd, 3000));
  close(fd);
}

TEST(Failures, StalledRequestBodyIsTimedOut) {
  TestOrigin origin;
  auto proxy = ProxyProcess::Start(BaseConfig(origin.port(), "timeouts:\n  body_idle: 300ms\n"));
  ASSERT_NE(proxy, nullptr);
  int fd = ConnectTcp(proxy->port());
  ASSERT_TRUE(SendAll(fd, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\npartial"));
  EXPECT_TRUE(WaitClosed(fd, 5000));
  close(fd);
}

TEST(Failures, ConnectionsOverTheLimitAreClosedPolitely) {
  TestOrigin origin;
  auto proxy =
      ProxyProcess::Start(BaseConfig(origin.port(), "limits:\n  max_connections_per_worker: 2\n"));
  ASSERT_NE(proxy, nullptr);
  int a = ConnectTcp(proxy->port());
  int b = ConnectTcp(proxy->port());
  ASSERT_TRUE(SendAll(a, Get("/")));
  ASSERT_TRUE(ReadResponse(a).has_value());
  ASSERT_TRUE(SendAll(b, Get("/")));
  ASSERT_TRUE(ReadResponse(b).has_value());
  int c = ConnectTcp(proxy->port());
  ASSERT_GE(c, 0);
  auto r = ReadResponse(c, 3000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(WaitClosed(c, 3000));
  close(a);
  close(b);
  close(c);
  // Still serving after the refusal.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto ok = Fetch(proxy->port(), Get("/"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

// Parser rejections through the whole proxy: 400 (or the specific status) and a closed connection,
// and nothing reaches the origin.
TEST(Failures, AmbiguousFramingIsRejectedAndClosed) {
  TestOrigin origin;
  auto proxy = ProxyProcess::Start(BaseConfig(origin.port()));
  ASSERT_NE(proxy, nullptr);
  struct Case {
    const char* name;
    std::string raw;
    int status;
  } cases[] = {
      {"cl+te",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       400},
      {"dup cl", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
       400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"te not chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      {"nul in value", std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 36), 400},
      {"http/0.9", "GET /\r\n\r\n", 400},
      {"bad chunk size",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
       400},
      {"long target", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
      {"huge head", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n",
       431},
      {"too large body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n", 413},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    int fd = ConnectTcp(proxy->port());
    ASSERT_GE(fd, 0);
    SendAll(fd, c.raw);
    auto r = ReadResponse(fd, 3000);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, c.status);
    EXPECT_EQ(r->headers["connection"], "close");
    EXPECT_TRUE(WaitClosed(fd, 3000));
    close(fd);
  }
  EXPECT_EQ(origin.requests_served(), 0u) << "a rejected request reached the origin";
}

TEST(Failures, LargeResponseToSlowReaderStaysBounded) {
  TestOrigin origin;
  auto proxy = ProxyProcess::Start(BaseConfig(origin.port()));
  ASSERT_NE(proxy, nullptr);
  const size_t total = 256u << 20;  // 256 MiB through a client that first does not read at all
  int fd = ConnectTcp(proxy->port());
  int small = 64 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  ASSERT_TRUE(SendAll(fd, Get("/bytes/" + std::to_string(total))));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto rss_kib = [&] {
    std::ifstream in("/proc/" + std::to_string(proxy->pid()) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1L;
  };
  long stalled_rss = rss_kib();
  EXPECT_GT(stalled_rss, 0);
  EXPECT_LT(stalled_rss, 64 * 1024) << "proxy buffered the response for a stalled client";
  // Now read everything: every byte arrives.
  size_t got = 0;
  char buf[1 << 16];
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = recv(fd, buf, 1, 0);
    ASSERT_GT(n, 0);
    head.append(buf, 1);
  }
  while (got < total) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    ASSERT_GT(n, 0) << "after " << got << " bytes";
    got += static_cast<size_t>(n);
  }
  EXPECT_EQ(got, total);
  close(fd);
}

TEST(Failures, LargeRequestToStalledOriginStaysBounded) {
  // An origin that accepts but never reads: the proxy must push back on the client instead of
  // buffering the request body.
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto proxy =
      ProxyProcess::Start(BaseConfig(ntohs(addr.sin_port), "limits:\n  max_body_bytes: 1g\n"));
  ASSERT_NE(proxy, nullptr);
  int fd = ConnectTcp(proxy->port());
  ASSERT_TRUE(
      SendAll(fd, "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1073741824\r\n\r\n"));
  // Push as much as the proxy accepts in 2 seconds, without blocking.
  std::string chunk(1 << 16, 'u');
  size_t pushed = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      pushed += static_cast<size_t>(n);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::ifstream in("/proc/" + std::to_string(proxy->pid()) + "/status");
  std::string line;
  long rss = -1;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stol(line.substr(6));
  }
  EXPECT_LT(pushed, 64u << 20) << "the proxy kept accepting body bytes the origin never read";
  EXPECT_GT(rss, 0);
  EXPECT_LT(rss, 64 * 1024) << "proxy RSS in KiB";
  close(fd);
  close(lfd);
}

TEST(Failures, OriginResetMidResponseClosesTheClientAndProxyKeepsServing) {
  // The origin promises 1 MB, sends 100 KB and resets: the client must see a close (not a hang
  // and not a padded body), and the next request must be served on a fresh origin connection.
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  // Serves until stopped: the proxy's readiness probe connects too, sending nothing.
  std::atomic<bool> stop{false};
  std::thread origin([lfd, &stop] {
    while (!stop) {
      pollfd p{lfd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(lfd, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{2, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      if (req.rfind("GET /big ", 0) == 0) {
        std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
        resp.append(100000, 'r');
        (void)send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        linger lg{1, 0};  // RST instead of FIN
        setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      } else if (!req.empty()) {
        std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        (void)send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      }
      close(c);
    }
  });
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& t;
    int lfd;
    ~Joiner() {
      stop = true;
      t.join();
      close(lfd);
    }
  } joiner{stop, origin, lfd};
  auto proxy = ProxyProcess::Start(BaseConfig(ntohs(addr.sin_port)));
  ASSERT_NE(proxy, nullptr);
  int fd = ConnectTcp(proxy->port());
  ASSERT_TRUE(SendAll(fd, Get("/big")));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string got;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      EXPECT_TRUE(n == 0 || errno == ECONNRESET) << "no close from the proxy, errno " << errno;
      break;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u);
  size_t body = got.size() - head_end - 4;
  EXPECT_GT(body, 0u);
  EXPECT_LE(body, 100000u) << "the proxy invented body bytes";
  auto r = Fetch(proxy->port(), Get("/next"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
}

}  // namespace
}  // namespace portcullis::testing
