// TLS termination through the real binary, with a CA, server and client certificates generated at
// test time: handshake, SNI, ALPN, resumption, client-certificate verification (Authenticated
// Origin Pulls), failure counting, and certificate reload without dropping open connections.
#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/support/tls_client.h"

namespace portcullis::testing {
namespace {

class Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/portcullis-tls-XXXXXX";
    dir_ = new std::string(mkdtemp(tmpl));
    ASSERT_TRUE(MakeCa(*dir_, "ca"));
    ASSERT_TRUE(MakeCa(*dir_, "other-ca"));
    ASSERT_TRUE(MakeLeaf(*dir_, "ca", "a", "a.example.test"));
    ASSERT_TRUE(MakeLeaf(*dir_, "ca", "b", "b.example.test"));
    ASSERT_TRUE(MakeLeaf(*dir_, "ca", "a2", "a.example.test"));  // for the reload test
    ASSERT_TRUE(MakeLeaf(*dir_, "ca", "client", ""));
    ASSERT_TRUE(MakeLeaf(*dir_, "other-ca", "stranger", ""));
  }
  static void TearDownTestSuite() {
    std::string cmd = "rm -rf '" + *dir_ + "'";
    (void)!system(cmd.c_str());
    delete dir_;
  }
  static std::string f(const std::string& name) { return *dir_ + "/" + name; }

  std::string TlsConfig(const std::string& first_cert, const std::string& verify) {
    return BaseConfig(origin_.port(), "", 1)
        .replace(0, std::string("listen: \"127.0.0.1:0\"\n").size(),
                 "listen:\n"
                 "  - \"127.0.0.1:0\"\n"
                 "  - address: \"127.0.0.1:0\"\n"
                 "    tls:\n"
                 "      certificates:\n"
                 "        - {cert: \"" +
                     f(first_cert + ".pem") + "\", key: \"" + f(first_cert + ".key") +
                     "\"}\n"
                     "        - {cert: \"" +
                     f("b.pem") + "\", key: \"" + f("b.key") +
                     "\"}\n"
                     "      client_ca: \"" +
                     f("ca.pem") +
                     "\"\n"
                     "      verify_client: " +
                     verify + "\n");
  }

  static std::string* dir_;
  TestOrigin origin_;
};
std::string* Tls::dir_ = nullptr;

TEST_F(Tls, TerminatesTlsWithSniAndAlpn) {
  auto proxy = ProxyProcess::Start(TlsConfig("a", "off"));
  ASSERT_NE(proxy, nullptr);
  ASSERT_NE(proxy->tls_port(), 0);
  auto a = TlsConnection::Connect(proxy->tls_port(), {.sni = "a.example.test"});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->PeerCommonName(), "a.example.test");
  EXPECT_EQ(a->NegotiatedAlpn(), "http/1.1");
  ASSERT_TRUE(a->Send(Get("/over-tls")));
  auto r = a->ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << r->body;
  // Keep-alive over TLS.
  ASSERT_TRUE(a->Send(Get("/again")));
  ASSERT_TRUE(a->ReadResponse().has_value());

  auto b = TlsConnection::Connect(proxy->tls_port(), {.sni = "B.Example.Test"});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->PeerCommonName(), "b.example.test");
  auto none = TlsConnection::Connect(proxy->tls_port(), {});
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->PeerCommonName(), "a.example.test") << "default certificate without SNI";
  // The plain listener still serves HTTP beside the TLS one.
  auto plain = Fetch(proxy->port(), Get("/plain"));
  ASSERT_TRUE(plain.has_value());
  EXPECT_NE(plain->body.find("X-Forwarded-Proto: http\r\n"), std::string::npos);
}

TEST_F(Tls, SessionsAreResumed) {
  auto proxy = ProxyProcess::Start(TlsConfig("a", "off"));
  ASSERT_NE(proxy, nullptr);
  TlsOptions o{.sni = "a.example.test"};
  auto first = TlsConnection::Connect(proxy->tls_port(), o);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Send(Get("/")));  // TLS 1.3 tickets arrive after the handshake
  ASSERT_TRUE(first->ReadResponse().has_value());
  SSL_SESSION* session = first->Session();
  ASSERT_NE(session, nullptr);
  auto second = TlsConnection::Resume(proxy->tls_port(), o, session);
  SSL_SESSION_free(session);
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->SessionReused());
}

TEST_F(Tls, AuthenticatedOriginPullsRequireAClientCertificateFromTheRightCa) {
  const std::string audit = f("tls-audit.json");
  auto proxy = ProxyProcess::Start(
      TlsConfig("a", "require") + "audit:\n  spool_dir: \"" + f("spool") +
      "\"\n  sinks:\n    - {name: f, type: file, path: \"" + audit + "\", min_priority: P3}\n");
  ASSERT_NE(proxy, nullptr);
  // No certificate: the handshake fails.
  auto none = TlsConnection::Connect(proxy->tls_port(), {.sni = "a.example.test"});
  bool none_served = false;
  if (none != nullptr && none->Send(Get("/"))) none_served = none->ReadResponse(2000).has_value();
  EXPECT_FALSE(none_served);
  // A certificate from another CA: fails too.
  auto stranger = TlsConnection::Connect(
      proxy->tls_port(),
      {.sni = "a.example.test", .cert_file = f("stranger.pem"), .key_file = f("stranger.key")});
  bool stranger_served = false;
  if (stranger != nullptr && stranger->Send(Get("/"))) {
    stranger_served = stranger->ReadResponse(2000).has_value();
  }
  EXPECT_FALSE(stranger_served);
  // The right CA: served.
  auto good = TlsConnection::Connect(
      proxy->tls_port(),
      {.sni = "a.example.test", .cert_file = f("client.pem"), .key_file = f("client.key")});
  ASSERT_NE(good, nullptr);
  ASSERT_TRUE(good->Send(Get("/aop")));
  auto r = good->ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  // Failures are counted, and the proxy is still fine.
  auto m = Fetch(proxy->admin_port(), Get("/metrics"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->body.find("portcullis_tls_handshake_failures_total 0\n"), std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("portcullis_tls_handshake_failures_total"), std::string::npos);
  // ... and audited.
  std::string events;
  for (int i = 0; i < 100 && events.find("tls.handshake_failed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(audit);
    events.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(events.find("\"action\":\"tls.handshake_failed\""), std::string::npos) << events;
}

TEST_F(Tls, OriginLockWithAuthenticatedOriginPulls) {
  // TLS-only, certificates optional at the handshake: the origin lock decides per request.
  std::string cfg =
      "listen:\n"
      "  - address: \"127.0.0.1:0\"\n"
      "    tls:\n"
      "      certificates: [{cert: \"" +
      f("a.pem") + "\", key: \"" + f("a.key") +
      "\"}]\n"
      "      client_ca: \"" +
      f("ca.pem") +
      "\"\n"
      "      verify_client: optional\n"
      "origin: \"127.0.0.1:" +
      std::to_string(origin_.port()) +
      "\"\n"
      "admin: \"127.0.0.1:0\"\n"
      "workers: 1\n"
      "origin_lock:\n"
      "  mode: enforce\n"
      "  require_trusted_peer: false\n"
      "  authenticated_origin_pulls: true\n";
  auto proxy = ProxyProcess::Start(cfg);
  ASSERT_NE(proxy, nullptr);
  auto anonymous = TlsConnection::Connect(proxy->tls_port(), {.sni = "a.example.test"});
  ASSERT_NE(anonymous, nullptr);
  ASSERT_TRUE(anonymous->Send(Get("/")));
  auto denied = anonymous->ReadResponse();
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->status, 403);
  auto pulled = TlsConnection::Connect(
      proxy->tls_port(),
      {.sni = "a.example.test", .cert_file = f("client.pem"), .key_file = f("client.key")});
  ASSERT_NE(pulled, nullptr);
  ASSERT_TRUE(pulled->Send(Get("/")));
  auto ok = pulled->ReadResponse();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

TEST_F(Tls, ReloadSwapsCertificateWithoutDroppingOpenConnections) {
  auto proxy = ProxyProcess::Start(TlsConfig("a", "off"));
  ASSERT_NE(proxy, nullptr);
  auto old_conn = TlsConnection::Connect(proxy->tls_port(), {.sni = "a.example.test"});
  ASSERT_NE(old_conn, nullptr);
  const std::string old_fp = old_conn->PeerFingerprint();
  ASSERT_FALSE(old_fp.empty());
  ASSERT_TRUE(old_conn->Send(Get("/before")));
  ASSERT_TRUE(old_conn->ReadResponse().has_value());

  // Same listener, new certificate file for a.example.test (a2: a different key).
  proxy->RewriteConfig(TlsConfig("a2", "off"));
  proxy->Signal(SIGHUP);
  ASSERT_TRUE(proxy->WaitForLog("configuration reloaded", 5000)) << proxy->Log();

  // The open connection keeps working.
  ASSERT_TRUE(old_conn->Send(Get("/after")));
  auto r = old_conn->ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(old_conn->PeerFingerprint(), old_fp);
  // New connections get the new certificate.
  auto fresh = TlsConnection::Connect(proxy->tls_port(), {.sni = "a.example.test"});
  ASSERT_NE(fresh, nullptr);
  EXPECT_NE(fresh->PeerFingerprint(), old_fp);
  EXPECT_EQ(fresh->PeerCommonName(), "a.example.test");
  ASSERT_TRUE(fresh->Send(Get("/new")));
  ASSERT_TRUE(fresh->ReadResponse().has_value());
}

}  // namespace
}  // namespace portcullis::testing
