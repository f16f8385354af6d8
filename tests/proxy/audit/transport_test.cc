// SIGPIPE safety of the audit transports (proxy/audit/sigpipe.h): a collector that closes the
// connection mid-stream must cost the sink an error, never the process. The test process keeps
// SIGPIPE at its default disposition (terminate), as an embedder that did not ignore it would.
#include "proxy/audit/transport.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <span>
#include <string>
#include <thread>

#include "proxy/audit/file_sink.h"
#include "proxy/audit/sigpipe.h"
#include "tests/support/tls_client.h"

namespace portcullis::audit {
namespace {

// A loopback peer that accepts one connection, optionally completes a TLS handshake, then closes
// it. The client, in CLOSE_WAIT, may still write: the kernel answers with RST and the next write
// fails with EPIPE, which raises SIGPIPE unless the writer prevented it.
class ClosingPeer {
 public:
  explicit ClosingPeer(SSL_CTX* tls) : tls_(tls) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 4);
    socklen_t l = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &l);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      SSL* ssl = nullptr;
      if (tls_ != nullptr) {
        ssl = SSL_new(tls_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) == 1) handshake_ok_ = true;
      }
      close(c);  // mid-stream: no close_notify
      if (ssl != nullptr) SSL_free(ssl);
    });
  }
  ~ClosingPeer() {
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  bool handshake_ok() const { return handshake_ok_; }

 private:
  SSL_CTX* tls_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> handshake_ok_{false};
  std::thread thread_;
};

class SigpipeDefault : public ::testing::Test {
 protected:
  void SetUp() override { old_ = signal(SIGPIPE, SIG_DFL); }
  void TearDown() override { signal(SIGPIPE, old_); }
  // Once the peer's FIN arrived, writes until the transport reports the broken connection.
  static bool WriteUntilError(Transport& t) {
    usleep(100000);
    std::string chunk(16384, 'x');
    for (int i = 0; i < 2000; ++i) {
      if (!t.write_all(chunk)) return true;
    }
    return false;
  }
  static bool SigpipePending() {
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, SIGPIPE) == 1;
  }
  sighandler_t old_ = SIG_DFL;
};

TEST_F(SigpipeDefault, PlainPeerClosingMidStreamIsAnErrorNotADeadProcess) {
  ClosingPeer peer(nullptr);
  auto t = Transport::connect("127.0.0.1", peer.port(), TlsOptions{}, std::chrono::seconds(2));
  ASSERT_TRUE(t.ok()) << t.error().reason;
  EXPECT_TRUE(WriteUntilError(*t.value()));
  EXPECT_FALSE(SigpipePending());
}

TEST_F(SigpipeDefault, TlsPeerClosingMidStreamIsAnErrorNotADeadProcess) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/audit-sigpipe-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  ASSERT_TRUE(portcullis::testing::MakeCa(dir, "peer"));
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate_file(ctx, (dir + "/peer.pem").c_str(), SSL_FILETYPE_PEM), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey_file(ctx, (dir + "/peer.key").c_str(), SSL_FILETYPE_PEM), 1);
  {
    ClosingPeer peer(ctx);
    TlsOptions tls;
    tls.enabled = true;
    tls.verify = false;
    auto t = Transport::connect("127.0.0.1", peer.port(), tls, std::chrono::seconds(2));
    ASSERT_TRUE(t.ok()) << t.error().reason;
    // SSL_write goes through OpenSSL's socket BIO, i.e. write(2): EPIPE raises SIGPIPE.
    EXPECT_TRUE(WriteUntilError(*t.value()));
    t.value().reset();  // SSL_shutdown writes close_notify to the dead peer
    EXPECT_TRUE(peer.handshake_ok());
  }
  EXPECT_FALSE(SigpipePending());
  SSL_CTX_free(ctx);
  fs::remove_all(dir);
}

TEST_F(SigpipeDefault, StdoutSinkOnAClosedPipeIsAnErrorNotADeadProcess) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  int saved = dup(1);
  ASSERT_GE(saved, 0);
  close(p[0]);  // nobody will ever read
  ASSERT_EQ(dup2(p[1], 1), 1);
  close(p[1]);
  Status st = Status::Ok();
  {
    FileSink out("", 1 << 20, 1);
    Record r;
    r.json = "{\"event\":{}}";
    std::vector<Record> batch(1, r);
    st = out.deliver(batch);
  }
  dup2(saved, 1);
  close(saved);
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(SigpipePending());
}

TEST_F(SigpipeDefault, GuardLeavesASigpipeRaisedOutsideItAlone) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &s, &old);
  raise(SIGPIPE);  // someone else's, pending before the guard
  { SigpipeGuard g; }
  EXPECT_TRUE(SigpipePending());
  timespec zero{};
  sigtimedwait(&s, nullptr, &zero);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace
}  // namespace portcullis::audit
