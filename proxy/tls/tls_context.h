// TlsContext: server-side TLS for one listener, built once from validated config (OpenSSL 3).
// TLS 1.2 and 1.3 only, modern AEAD ciphers, ALPN http/1.1, SNI across several certificates,
// session resumption (server cache and tickets), optional client-certificate verification
// (Cloudflare Authenticated Origin Pulls). Immutable after build: a reload builds a new one, and
// connections keep the context they started with (SSL objects hold a reference to it).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "rules/base/result.h"

namespace portcullis::tls {

enum class VerifyClient { kOff, kOptional, kRequire };

struct CertificateFiles {
  std::string cert_file;  // PEM, leaf first then chain
  std::string key_file;   // PEM
};

struct ServerTlsOptions {
  std::vector<CertificateFiles> certificates;  // the first is the default (no or unknown SNI)
  std::string client_ca_file;                  // PEM bundle; required unless verify is kOff
  VerifyClient verify_client = VerifyClient::kOff;
  bool allow_tls12 = true;  // false: TLS 1.3 only
};

class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> build(const ServerTlsOptions& opts);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new server SSL object for an accepted connection, or nullptr (out of memory).
  SSL* new_ssl() const;
  VerifyClient verify_client() const { return verify_; }
  size_t certificate_count() const { return ctxs_.size(); }

  // Names (SAN DNS entries, else CN) of certificate i, lowercase.
  const std::vector<std::string>& names(size_t i) const { return names_[i]; }

 private:
  TlsContext() = default;
  static int on_servername(SSL* ssl, int* alert, void* arg);
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                     const unsigned char* in, unsigned int inlen, void* arg);
  SSL_CTX* match(std::string_view host) const;

  std::vector<SSL_CTX*> ctxs_;  // one per certificate; ctxs_[0] is used to accept
  std::vector<std::vector<std::string>> names_;
  VerifyClient verify_ = VerifyClient::kOff;
};

// True when the peer presented a certificate that verified against the configured CA.
bool client_certificate_verified(SSL* ssl);

}  // namespace portcullis::tls
