#include "tests/support/tls_client.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace portcullis::testing {
namespace {

bool Run(const std::string& cmd) {
  std::string full = cmd + " >/tmp/portcullis-openssl.log 2>&1";
  if (std::system(full.c_str()) == 0) return true;
  std::fprintf(stderr, "command failed: %s\n", cmd.c_str());
  std::system("cat /tmp/portcullis-openssl.log >&2");
  return false;
}

}  // namespace

bool MakeCa(const std::string& dir, const std::string& name) {
  return Run(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=" +
      name + "' -keyout " + dir + "/" + name + ".key -out " + dir + "/" + name + ".pem");
}

bool MakeLeaf(const std::string& dir, const std::string& ca, const std::string& leaf,
              const std::string& dns) {
  std::string ext = dir + "/" + leaf + ".ext";
  std::string ext_text = dns.empty()
                             ? "extendedKeyUsage=clientAuth\n"
                             : "subjectAltName=DNS:" + dns + "\nextendedKeyUsage=serverAuth\n";
  {
    // Written directly: a shell redirect here would be overridden by Run()'s own log redirect,
    // leaving the certificate without subjectAltName / extendedKeyUsage.
    std::ofstream out(ext, std::ios::trunc);
    out << ext_text;
    if (!out) return false;
  }
  std::string cn = dns.empty() ? leaf : dns;
  return Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=" + cn +
             "' -keyout " + dir + "/" + leaf + ".key -out " + dir + "/" + leaf + ".csr") &&
         Run("openssl x509 -req -in " + dir + "/" + leaf + ".csr -CA " + dir + "/" + ca +
             ".pem -CAkey " + dir + "/" + ca + ".key -CAcreateserial -days 2 -extfile " + ext +
             " -out " + dir + "/" + leaf + ".pem");
}

TlsConnection::~TlsConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

std::unique_ptr<TlsConnection> TlsConnection::Connect(uint16_t port, const TlsOptions& opts) {
  return Open(port, opts, nullptr);
}

std::unique_ptr<TlsConnection> TlsConnection::Resume(uint16_t port, const TlsOptions& opts,
                                                     SSL_SESSION* session) {
  return Open(port, opts, session);
}

std::unique_ptr<TlsConnection> TlsConnection::Open(uint16_t port, const TlsOptions& opts,
                                                   SSL_SESSION* session) {
  std::unique_ptr<TlsConnection> c(new TlsConnection());
  c->fd_ = ConnectTcp(port);
  if (c->fd_ < 0) return nullptr;
  c->ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_NONE, nullptr);  // tests check names, not trust
  if (!opts.cert_file.empty()) {
    SSL_CTX_use_certificate_file(c->ctx_, opts.cert_file.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(c->ctx_, opts.key_file.c_str(), SSL_FILETYPE_PEM);
  }
  c->ssl_ = SSL_new(c->ctx_);
  if (!opts.sni.empty()) SSL_set_tlsext_host_name(c->ssl_, opts.sni.c_str());
  if (!opts.alpn.empty()) {
    std::string wire(1, static_cast<char>(opts.alpn.size()));
    wire += opts.alpn;
    SSL_set_alpn_protos(c->ssl_, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  }
  if (session != nullptr) SSL_set_session(c->ssl_, session);
  SSL_set_fd(c->ssl_, c->fd_);
  if (SSL_connect(c->ssl_) != 1) {
    if (std::getenv("PORTCULLIS_TLS_DEBUG") != nullptr) ERR_print_errors_fp(stderr);
    ERR_clear_error();
    return nullptr;
  }
  // TLS 1.3: a missing/invalid client certificate is reported after the handshake, on the first
  // read. Probe with a zero-timeout peek so Connect() fails the way a client would notice.
  pollfd p{c->fd_, POLLIN, 0};
  if (poll(&p, 1, 200) > 0) {
    char b;
    int flags = fcntl(c->fd_, F_GETFL);
    fcntl(c->fd_, F_SETFL, flags | O_NONBLOCK);  // tickets alone must not block the peek
    int n = SSL_peek(c->ssl_, &b, 1);
    fcntl(c->fd_, F_SETFL, flags);
    if (n <= 0) {
      int err = SSL_get_error(c->ssl_, n);
      if (err != SSL_ERROR_WANT_READ) {
        if (std::getenv("PORTCULLIS_TLS_DEBUG") != nullptr) ERR_print_errors_fp(stderr);
        ERR_clear_error();
        return nullptr;
      }
    }
  }
  return c;
}

bool TlsConnection::Send(std::string_view data) {
  while (!data.empty()) {
    int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<HttpResponse> TlsConnection::ReadResponse(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto fill = [&]() -> bool {
    char tmp[16384];
    for (;;) {
      if (SSL_pending(ssl_) == 0) {
        int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        deadline - std::chrono::steady_clock::now())
                                        .count());
        if (left <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, left) <= 0) return false;
      }
      int n = SSL_read(ssl_, tmp, sizeof(tmp));
      if (n > 0) {
        buf_.append(tmp, static_cast<size_t>(n));
        return true;
      }
      if (SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ) continue;
      return false;
    }
  };
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::nullopt;
  }
  HttpResponse r;
  r.head = buf_.substr(0, end + 2);
  buf_.erase(0, end + 4);
  r.status = std::atoi(r.head.c_str() + 9);
  size_t pos = r.head.find("\r\n") + 2;
  while (pos < r.head.size()) {
    size_t eol = r.head.find("\r\n", pos);
    std::string line = r.head.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    size_t vs = line.find_first_not_of(" \t", colon + 1);
    r.headers[name] = vs == std::string::npos ? "" : line.substr(vs);
  }
  auto cl = r.headers.find("content-length");
  size_t n = cl == r.headers.end() ? 0 : std::strtoull(cl->second.c_str(), nullptr, 10);
  while (buf_.size() < n) {
    if (!fill()) return std::nullopt;
  }
  r.body = buf_.substr(0, n);
  buf_.erase(0, n);
  return r;
}

std::string TlsConnection::PeerCommonName() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  X509_free(cert);
  return cn;
}

std::string TlsConnection::PeerFingerprint() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  X509_free(cert);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string TlsConnection::NegotiatedAlpn() const {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_, &p, &len);
  return std::string(reinterpret_cast<const char*>(p), len);
}

}  // namespace portcullis::testing
