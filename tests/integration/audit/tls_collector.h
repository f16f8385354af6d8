// TlsCollector: a loopback HTTPS/1.1 server (OpenSSL, blocking, one thread) that answers every
// POST with 200 and records its body, for the HTTP sink's https:// path. Counts handshakes that
// completed and failed, so a test can tell "refused at TLS" from "never connected".
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace portcullis::audit::testing {

class TlsCollector {
 public:
  TlsCollector(const std::string& cert_file, const std::string& key_file) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    ok_ = SSL_CTX_use_certificate_chain_file(ctx_, cert_file.c_str()) == 1 &&
          SSL_CTX_use_PrivateKey_file(ctx_, key_file.c_str(), SSL_FILETYPE_PEM) == 1;
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 64);
    socklen_t l = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &l);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TlsCollector() {
    stop_ = true;
    thread_.join();
    close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }
  int handshakes() const { return handshakes_.load(); }
  int failed_handshakes() const { return failed_handshakes_.load(); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lk(mu_);
    return bodies_;
  }
  // The server name the last client sent (empty: no SNI extension).
  std::string last_sni() {
    std::lock_guard<std::mutex> lk(mu_);
    return last_sni_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      timeval tv{2, 0};  // a silent client cannot wedge the one thread
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) == 1) {
        ++handshakes_;
        const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        {
          std::lock_guard<std::mutex> lk(mu_);
          last_sni_ = sni == nullptr ? "" : sni;
        }
        Handle(ssl);
        SSL_shutdown(ssl);
      } else {
        ++failed_handshakes_;
      }
      SSL_free(ssl);
      close(c);
    }
  }
  void Handle(SSL* ssl) {
    std::string req;
    char buf[65536];
    size_t want = std::string::npos;
    while (want == std::string::npos || req.size() < want) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
      size_t he = req.find("\r\n\r\n");
      if (want == std::string::npos && he != std::string::npos) {
        size_t cl = req.find("Content-Length: ");
        want = he + 4 +
               (cl == std::string::npos ? 0 : std::strtoul(req.c_str() + cl + 16, nullptr, 10));
      }
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      bodies_.push_back(req.substr(req.find("\r\n\r\n") + 4));
    }
    static constexpr char kResp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    SSL_write(ssl, kResp, sizeof(kResp) - 1);
  }

  SSL_CTX* ctx_ = nullptr;
  bool ok_ = false;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0}, failed_handshakes_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::string last_sni_;
};

}  // namespace portcullis::audit::testing
