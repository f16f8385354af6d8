#include "proxy/audit/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "proxy/audit/sigpipe.h"

namespace portcullis::audit {
namespace {

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  char b[256];
  ERR_error_string_n(e, b, sizeof(b));
  return b;
}

Result<addrinfo*> resolve(const std::string& host, uint16_t port, int socktype) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* res = nullptr;
  std::string p = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), p.c_str(), &hints, &res);
  if (rc != 0) return make_error("resolve " + host + ": " + gai_strerror(rc));
  return res;
}

}  // namespace

Transport::~Transport() {
  if (ssl_ != nullptr) {
    SigpipeGuard no_sigpipe;  // close_notify to a peer that is gone: write(2) by OpenSSL's BIO
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

bool Transport::wait(short events) {
  pollfd p{fd_, events, 0};
  for (;;) {
    int r = poll(&p, 1, timeout_ms_);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

Result<std::unique_ptr<Transport>> Transport::connect(const std::string& host, uint16_t port,
                                                      const TlsOptions& tls,
                                                      std::chrono::milliseconds timeout) {
  std::unique_ptr<Transport> t(new Transport());
  t->timeout_ms_ = static_cast<int>(timeout.count());
  auto ai = resolve(host, port, SOCK_STREAM);
  if (!ai) return ai.error();
  std::string err = "no address";
  for (addrinfo* a = ai.value(); a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      t->fd_ = fd;
      int soerr = ETIMEDOUT;
      if (t->wait(POLLOUT)) {
        socklen_t l = sizeof(soerr);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
      }
      rc = soerr == 0 ? 0 : -1;
      errno = soerr;
      t->fd_ = -1;
    }
    if (rc == 0) {
      t->fd_ = fd;
      break;
    }
    err = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(ai.value());
  if (t->fd_ < 0) return make_error("connect " + host + ":" + std::to_string(port) + ": " + err);
  int one = 1;
  setsockopt(t->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!tls.enabled) return t;

  t->ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
  if (tls.verify) {
    SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER, nullptr);
    if (tls.ca_file.empty()) {
      SSL_CTX_set_default_verify_paths(t->ctx_);
    } else if (SSL_CTX_load_verify_locations(t->ctx_, tls.ca_file.c_str(), nullptr) != 1) {
      return make_error("cannot load CA file " + tls.ca_file + ": " + ssl_error());
    }
  }
  t->ssl_ = SSL_new(t->ctx_);
  const std::string& name = tls.sni.empty() ? host : tls.sni;
  // A collector addressed by IP literal: RFC 6066 section 3 forbids a literal address in SNI
  // (we sent it), and the certificate is checked against its IP SAN (RFC 2818 3.1) explicitly
  // rather than relying on SSL_set1_host guessing that the name is an address.
  in6_addr ip{};
  bool is_ip =
      inet_pton(AF_INET, name.c_str(), &ip) == 1 || inet_pton(AF_INET6, name.c_str(), &ip) == 1;
  if (!is_ip) SSL_set_tlsext_host_name(t->ssl_, name.c_str());
  if (tls.verify) {
    int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl_), name.c_str())
                   : SSL_set1_host(t->ssl_, name.c_str());
    if (ok != 1) return make_error("cannot set the TLS peer name " + name + ": " + ssl_error());
  }
  SSL_set_fd(t->ssl_, t->fd_);
  SigpipeGuard no_sigpipe;  // OpenSSL's socket BIO writes with write(2), not send(MSG_NOSIGNAL)
  for (;;) {
    int r = SSL_connect(t->ssl_);
    if (r == 1) break;
    int e = SSL_get_error(t->ssl_, r);
    if (e == SSL_ERROR_WANT_READ && t->wait(POLLIN)) continue;
    if (e == SSL_ERROR_WANT_WRITE && t->wait(POLLOUT)) continue;
    return make_error("TLS handshake with " + host + ": " + ssl_error());
  }
  return t;
}

Status Transport::write_all(std::string_view data) {
  std::optional<SigpipeGuard> no_sigpipe;  // plain sockets use MSG_NOSIGNAL
  if (ssl_ != nullptr) no_sigpipe.emplace();
  size_t done = 0;
  while (done < data.size()) {
    if (ssl_ != nullptr) {
      int r = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
      if (r > 0) {
        done += static_cast<size_t>(r);
        continue;
      }
      int e = SSL_get_error(ssl_, r);
      if ((e == SSL_ERROR_WANT_WRITE && wait(POLLOUT)) ||
          (e == SSL_ERROR_WANT_READ && wait(POLLIN)))
        continue;
      return make_error("TLS write failed");
    }
    ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (wait(POLLOUT)) continue;
      return make_error("write timed out");
    }
    return make_error(std::string("write: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Result<size_t> Transport::read_some(char* buf, size_t n) {
  std::optional<SigpipeGuard> no_sigpipe;  // SSL_read may write (alerts, key updates)
  if (ssl_ != nullptr) no_sigpipe.emplace();
  for (;;) {
    if (ssl_ != nullptr) {
      int r = SSL_read(ssl_, buf, static_cast<int>(n));
      if (r > 0) return static_cast<size_t>(r);
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_ZERO_RETURN) return size_t{0};
      if ((e == SSL_ERROR_WANT_READ && wait(POLLIN)) ||
          (e == SSL_ERROR_WANT_WRITE && wait(POLLOUT)))
        continue;
      if (e == SSL_ERROR_WANT_READ) return make_error("read timed out");
      return make_error("TLS read failed");
    }
    ssize_t r = recv(fd_, buf, n, 0);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (wait(POLLIN)) continue;
      return make_error("read timed out");
    }
    return make_error(std::string("read: ") + std::strerror(errno));
  }
}

bool Transport::peer_closed() {
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLRDHUP)) return true;
  char c;
  ssize_t r = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

int Transport::unacked_bytes() const {
  int n = 0;
  if (ioctl(fd_, SIOCOUTQ, &n) != 0) return 0;
  return n;
}

Result<int> connect_udp(const std::string& host, uint16_t port) {
  auto ai = resolve(host, port, SOCK_DGRAM);
  if (!ai) return ai.error();
  int fd = -1;
  for (addrinfo* a = ai.value(); a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(ai.value());
  if (fd < 0) return make_error("udp " + host + ":" + std::to_string(port) + ": cannot connect");
  return fd;
}

}  // namespace portcullis::audit
