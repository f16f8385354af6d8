// The audit stream's TLS transports against peers that check nothing for us: syslog over TLS
// (RFC 5425, octet-counted frames per RFC 6587 3.4.1) to a real rsyslog with the gtls netstream
// driver, and the HTTP sink over https:// to an in-test OpenSSL server. Certificates are made at
// test time; a server whose certificate is not signed by ca_file must be refused, with the events
// kept in the spool and nothing delivered.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "proxy/audit/auditor.h"
#include "tests/integration/audit/delivery.h"
#include "tests/integration/audit/tls_collector.h"
#include "tests/support/tls_client.h"

namespace portcullis::audit {
namespace {

namespace fs = std::filesystem;
using testing::ById;
using testing::FreePort;
using testing::MakeEvent;
using testing::OwnRsyslog;
using testing::ReadAll;
using testing::RsyslogTls;
using testing::ServicesEnv;
using testing::Tag;
using testing::TlsCollector;

// Request numbers of the tag's events in the order they appear in `text` (first copy only).
std::vector<int> Order(const std::string& text, const std::string& tag) {
  std::vector<int> out;
  std::vector<bool> seen;
  const std::string key = "\"id\":\"" + tag + "-";
  for (size_t p = text.find(key); p != std::string::npos; p = text.find(key, p + 1)) {
    int n = std::atoi(text.c_str() + p + key.size());
    if (static_cast<size_t>(n) >= seen.size()) seen.resize(n + 1);
    if (!seen[n]) out.push_back(n);
    seen[n] = true;
  }
  return out;
}

// A server certificate whose only name is an IP SAN. Not MakeLeaf: its extension file is written
// through Run(), whose stdout redirect to the log wins, so its leaves carry no SAN at all (their
// DNS names only match through the CN fallback).
bool MakeIpLeaf(const std::string& dir, const std::string& ca, const std::string& leaf,
                const std::string& ip) {
  std::ofstream(dir + "/" + leaf + ".ext")
      << "subjectAltName=IP:" << ip << "\nextendedKeyUsage=serverAuth\n";
  std::string p = dir + "/" + leaf;
  std::string cmd =
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=ip' "
      "-keyout " +
      p + ".key -out " + p +
      ".csr >/dev/null 2>&1 && "
      "openssl x509 -req -in " +
      p + ".csr -CA " + dir + "/" + ca + ".pem -CAkey " + dir + "/" + ca +
      ".key -CAcreateserial -days 2 -extfile " + p + ".ext -out " + p + ".pem >/dev/null 2>&1";
  return system(cmd.c_str()) == 0;
}

std::string RsyslogBinary() {
  auto env = ServicesEnv();
  if (env.count("RSYSLOGD") != 0) return env["RSYSLOGD"];
  return fs::exists("/usr/sbin/rsyslogd") ? "/usr/sbin/rsyslogd" : "";
}

class AuditTls : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/audit-tls-XXXXXX";
    dir_ = mkdtemp(tmpl);
    // "ca" signs the server the sink should trust; "rogue" signs one it must refuse.
    ASSERT_TRUE(portcullis::testing::MakeCa(dir_, "ca"));
    ASSERT_TRUE(portcullis::testing::MakeLeaf(dir_, "ca", "server", "localhost"));
    ASSERT_TRUE(portcullis::testing::MakeCa(dir_, "rogue"));
    ASSERT_TRUE(portcullis::testing::MakeLeaf(dir_, "rogue", "impostor", "localhost"));
  }
  void TearDown() override {
    if (getenv("KEEP") == nullptr) fs::remove_all(dir_);
  }
  config::AuditConfig Base() {
    config::AuditConfig c;
    c.spool_dir = dir_ + "/spool";
    config::AuditSinkConfig f;  // the reference copy of every event, byte for byte
    f.name = "reference";
    f.type = config::AuditSinkType::kFile;
    f.path = dir_ + "/reference.json";
    c.sinks.push_back(f);
    return c;
  }
  config::AuditSinkConfig Verified(config::AuditSinkType type) {
    config::AuditSinkConfig s;
    s.name = "tls";
    s.type = type;
    s.tls_verify = true;
    s.ca_file = dir_ + "/ca.pem";
    s.timeout = std::chrono::milliseconds(1000);
    s.backoff_max = std::chrono::milliseconds(200);
    return s;
  }
  template <typename Pred>
  static bool WaitFor(Pred p, int ms) {
    for (int i = 0; i < ms / 20; ++i) {
      if (p()) return true;
      usleep(20000);
    }
    return p();
  }
  // Every event arrived once at least, each copy byte-identical to the reference copy.
  void ExpectComplete(const std::string& tag, const std::string& got_text, int n) {
    auto ref = ById(ReadAll(dir_ + "/reference.json"), tag);
    auto got = ById(got_text, tag);
    ASSERT_EQ(ref.size(), static_cast<size_t>(n));
    EXPECT_EQ(got.size(), ref.size());
    size_t different = 0;
    for (const auto& [id, lines] : got) {
      auto it = ref.find(id);
      ASSERT_NE(it, ref.end()) << id;
      for (const std::string& l : lines) different += l != *it->second.begin();
    }
    EXPECT_EQ(different, 0u) << "a copy differs from what was sent (a duplicate must be identical)";
  }
  // ... and, first copies, in emission order.
  void ExpectCompleteAndInOrder(const std::string& tag, const std::string& got_text, int n) {
    ExpectComplete(tag, got_text, n);
    std::vector<int> order = Order(got_text, tag);
    ASSERT_EQ(order.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) ASSERT_EQ(order[i], i) << "out of order at position " << i;
  }
  void EmitBurst(Auditor& a, const std::string& tag, int n) {
    for (int i = 0; i < n; ++i) {
      while (!a.emit(MakeEvent(tag, i))) usleep(100);
    }
  }
  std::string dir_;
};

TEST_F(AuditTls, SyslogTlsToRsyslogDeliversABurstCompleteAndInOrder) {
  std::string bin = RsyslogBinary();
  if (bin.empty()) GTEST_SKIP() << "rsyslogd not installed";
  RsyslogTls tls{dir_ + "/ca.pem", dir_ + "/server.pem", dir_ + "/server.key"};
  uint16_t port = FreePort();
  OwnRsyslog rs(bin, dir_ + "/rsyslog", port, &tls);
  ASSERT_TRUE(rs.Start()) << "rsyslog with gtls did not start (rsyslog-gnutls installed?)";
  config::AuditConfig c = Base();
  config::AuditSinkConfig s = Verified(config::AuditSinkType::kSyslogTls);
  s.host = "localhost";
  s.port = port;
  s.confirm_after = std::chrono::milliseconds(200);
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 3000;
  EmitBurst(*a.value(), tag, kN);
  ASSERT_TRUE(WaitFor([&] { return a.value()->idle(); }, 20000));
  a.value()->stop();
  ASSERT_TRUE(WaitFor([&] { return ById(rs.Output(), tag).size() == kN; }, 10000))
      << ById(rs.Output(), tag).size() << " of " << kN << " arrived";
  ExpectCompleteAndInOrder(tag, rs.Output(), kN);
  EXPECT_EQ(a.value()->sink(1).errors(), 0u);
  EXPECT_EQ(a.value()->sink(1).dropped(), 0u);
}

TEST_F(AuditTls, SyslogTlsRefusesAServerNotSignedByCaFile) {
  std::string bin = RsyslogBinary();
  if (bin.empty()) GTEST_SKIP() << "rsyslogd not installed";
  RsyslogTls tls{dir_ + "/rogue.pem", dir_ + "/impostor.pem", dir_ + "/impostor.key"};
  uint16_t port = FreePort();
  OwnRsyslog rs(bin, dir_ + "/rsyslog", port, &tls);
  ASSERT_TRUE(rs.Start());
  config::AuditConfig c = Base();
  config::AuditSinkConfig s = Verified(config::AuditSinkType::kSyslogTls);
  s.host = "localhost";
  s.port = port;
  s.confirm_after = std::chrono::milliseconds(200);
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 200;
  EmitBurst(*a.value(), tag, kN);
  ASSERT_TRUE(WaitFor([&] { return a.value()->sink(1).errors() >= 2; }, 10000));
  ASSERT_TRUE(WaitFor([&] { return a.value()->sink(1).spooled() >= kN; }, 10000))
      << a.value()->sink(1).spooled();
  usleep(300000);  // any delivery would have reached rsyslog's file by now
  EXPECT_EQ(a.value()->sink(1).sent(), 0u);
  EXPECT_EQ(a.value()->sink(1).backlog(), static_cast<size_t>(kN));
  EXPECT_EQ(ById(rs.Output(), tag).size(), 0u);
  a.value()->stop(std::chrono::milliseconds(200));
  EXPECT_EQ(a.value()->sink(1).dropped(), 0u);
}

// The TLS peer dies mid-burst and comes back: the spool bridges the gap, as over plain TCP. This
// process does not ignore SIGPIPE (the proxy does, an embedder may not), so a TLS write or
// close_notify to the dead peer must not raise it.
TEST_F(AuditTls, SyslogTlsPeerRestartedDuringABurstLosesNothing) {
  std::string bin = RsyslogBinary();
  if (bin.empty()) GTEST_SKIP() << "rsyslogd not installed";
  RsyslogTls tls{dir_ + "/ca.pem", dir_ + "/server.pem", dir_ + "/server.key"};
  uint16_t port = FreePort();
  OwnRsyslog rs(bin, dir_ + "/rsyslog", port, &tls);
  ASSERT_TRUE(rs.Start());
  config::AuditConfig c = Base();
  config::AuditSinkConfig s = Verified(config::AuditSinkType::kSyslogTls);
  s.host = "localhost";
  s.port = port;
  s.batch_max = 100;
  s.confirm_after = std::chrono::milliseconds(300);
  s.backoff_max = std::chrono::milliseconds(300);
  s.timeout = std::chrono::milliseconds(500);
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 3000;
  for (int i = 0; i < kN; ++i) {
    while (!a.value()->emit(MakeEvent(tag, i))) usleep(100);
    if (i % 100 == 0) usleep(20000);
    if (i == kN / 3) rs.Stop();
    if (i == 2 * kN / 3) {
      ASSERT_TRUE(rs.Start());
    }
  }
  ASSERT_TRUE(WaitFor([&] { return a.value()->idle(); }, 30000));
  a.value()->stop();
  ASSERT_TRUE(WaitFor([&] { return ById(rs.Output(), tag).size() == kN; }, 10000))
      << ById(rs.Output(), tag).size() << " of " << kN;
  ExpectComplete(tag, rs.Output(), kN);
  EXPECT_GT(a.value()->sink(1).errors(), 0u);
  EXPECT_GT(a.value()->sink(1).spooled(), 0u);
  EXPECT_EQ(a.value()->sink(1).dropped(), 0u);
}

TEST_F(AuditTls, HttpsCollectorReceivesEveryEventInOrder) {
  TlsCollector col(dir_ + "/server.pem", dir_ + "/server.key");
  ASSERT_TRUE(col.ok());
  config::AuditConfig c = Base();
  config::AuditSinkConfig s = Verified(config::AuditSinkType::kHttp);
  s.url = "https://localhost:" + std::to_string(col.port()) + "/ingest";
  s.batch_max = 250;
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 3000;
  EmitBurst(*a.value(), tag, kN);
  ASSERT_TRUE(WaitFor([&] { return a.value()->idle(); }, 20000));
  a.value()->stop();
  std::string all;
  for (const auto& b : col.bodies()) all += b;
  ExpectCompleteAndInOrder(tag, all, kN);
  EXPECT_GE(col.handshakes(), kN / 250);
  EXPECT_EQ(col.failed_handshakes(), 0);
  EXPECT_EQ(a.value()->sink(1).errors(), 0u);
}

TEST_F(AuditTls, HttpsRefusesACollectorNotSignedByCaFile) {
  TlsCollector col(dir_ + "/impostor.pem", dir_ + "/impostor.key");
  ASSERT_TRUE(col.ok());
  config::AuditConfig c = Base();
  config::AuditSinkConfig s = Verified(config::AuditSinkType::kHttp);
  s.url = "https://localhost:" + std::to_string(col.port()) + "/ingest";
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 200;
  EmitBurst(*a.value(), tag, kN);
  ASSERT_TRUE(WaitFor([&] { return col.failed_handshakes() >= 2; }, 10000));
  ASSERT_TRUE(WaitFor([&] { return a.value()->sink(1).spooled() >= kN; }, 10000))
      << a.value()->sink(1).spooled();
  EXPECT_EQ(col.bodies().size(), 0u);
  EXPECT_EQ(col.handshakes(), 0);
  EXPECT_EQ(a.value()->sink(1).sent(), 0u);
  EXPECT_GE(a.value()->sink(1).errors(), 2u);
  EXPECT_EQ(a.value()->sink(1).backlog(), static_cast<size_t>(kN));
  a.value()->stop(std::chrono::milliseconds(200));
  EXPECT_EQ(a.value()->sink(1).dropped(), 0u);
}

// A collector addressed by IP: the name check must use the certificate's IP SAN (RFC 6125 /
// RFC 2818 3.1), and no SNI may carry the literal address (RFC 6066 section 3).
TEST_F(AuditTls, HttpsByIpAddressChecksTheIpSanAndSendsNoSni) {
  ASSERT_TRUE(MakeIpLeaf(dir_, "ca", "ipserver", "127.0.0.1"));
  TlsCollector col(dir_ + "/ipserver.pem", dir_ + "/ipserver.key");
  ASSERT_TRUE(col.ok());
  config::AuditConfig c = Base();
  config::AuditSinkConfig s = Verified(config::AuditSinkType::kHttp);
  s.url = "https://127.0.0.1:" + std::to_string(col.port()) + "/ingest";
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 100;
  EmitBurst(*a.value(), tag, kN);
  ASSERT_TRUE(WaitFor([&] { return a.value()->idle(); }, 10000))
      << col.handshakes() << " handshakes, " << col.failed_handshakes() << " failed, "
      << a.value()->sink(1).errors() << " sink errors";
  a.value()->stop();
  std::string all;
  for (const auto& b : col.bodies()) all += b;
  ExpectCompleteAndInOrder(tag, all, kN);
  EXPECT_EQ(col.last_sni(), "");
}

// Right CA, wrong name: a certificate for "localhost" does not vouch for 127.0.0.1.
TEST_F(AuditTls, HttpsRefusesACertificateForAnotherName) {
  TlsCollector col(dir_ + "/server.pem", dir_ + "/server.key");
  ASSERT_TRUE(col.ok());
  config::AuditConfig c = Base();
  config::AuditSinkConfig s = Verified(config::AuditSinkType::kHttp);
  s.url = "https://127.0.0.1:" + std::to_string(col.port()) + "/ingest";
  c.sinks.push_back(s);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  const std::string tag = Tag();
  constexpr int kN = 50;
  EmitBurst(*a.value(), tag, kN);
  ASSERT_TRUE(WaitFor([&] { return col.failed_handshakes() >= 2; }, 10000));
  EXPECT_EQ(col.bodies().size(), 0u);
  EXPECT_EQ(a.value()->sink(1).sent(), 0u);
  a.value()->stop(std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace portcullis::audit
