// Test-side TLS: certificates made at test time with the openssl CLI, and a blocking TLS client
// over a raw socket (OpenSSL), so TLS tests need no files in the repo and no network.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "tests/support/http_client.h"

namespace portcullis::testing {

// Creates, under dir: <name>-ca.pem/.key (a CA) — see MakeCa — and leaf certificates signed by it.
// Returns false (and prints the command output) if openssl fails.
bool MakeCa(const std::string& dir, const std::string& name);
// A leaf certificate <leaf>.pem/.key signed by CA <ca>, with subjectAltName DNS:<dns> (server) or
// for client auth when dns is empty.
bool MakeLeaf(const std::string& dir, const std::string& ca, const std::string& leaf,
              const std::string& dns);

struct TlsOptions {
  std::string sni;        // server name to send (empty: none)
  std::string cert_file;  // client certificate (empty: none)
  std::string key_file;
  std::string alpn = "http/1.1";
};

class TlsConnection {
 public:
  ~TlsConnection();
  // Connects to 127.0.0.1:port and completes the handshake; nullopt-like (ok() false) on failure.
  static std::unique_ptr<TlsConnection> Connect(uint16_t port, const TlsOptions& opts);
  bool Send(std::string_view data);
  std::optional<HttpResponse> ReadResponse(int timeout_ms = 5000);
  std::string PeerCommonName() const;
  std::string PeerFingerprint() const;  // SHA-256 of the server certificate, hex
  std::string NegotiatedAlpn() const;
  bool SessionReused() const { return SSL_session_reused(ssl_) == 1; }
  SSL_SESSION* Session() const { return SSL_get1_session(ssl_); }
  static std::unique_ptr<TlsConnection> Resume(uint16_t port, const TlsOptions& opts,
                                               SSL_SESSION* session);

 private:
  TlsConnection() = default;
  static std::unique_ptr<TlsConnection> Open(uint16_t port, const TlsOptions& opts,
                                             SSL_SESSION* session);
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

}  // namespace portcullis::testing
