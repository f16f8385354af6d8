#include "proxy/tls/transport.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace portcullis::tls {

Transport::Transport(int fd, SSL* ssl) : fd_(fd), ssl_(ssl), handshake_done_(ssl == nullptr) {
  if (ssl_ == nullptr) return;
  SSL_set_fd(ssl_, fd_);
  SSL_set_accept_state(ssl_);
  // Read ahead: one read(2) takes a whole record (and what follows) instead of a 5-byte header
  // read then a body read. Moving buffers and partial writes: the caller retries from an
  // evbuffer whose contiguous region may move and grow between attempts.
  SSL_set_read_ahead(ssl_, 1);
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Browsers and load balancers often close without close_notify; for HTTP/1.1 the message
  // framing, not the TLS closure, decides completeness (RFC 9112 9.8), so it is a plain EOF.
  SSL_set_options(ssl_, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

Transport::~Transport() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

IoStatus Transport::ssl_status(int ret) {
  int e = SSL_get_error(ssl_, ret);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      return IoStatus::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return IoStatus::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return IoStatus::kEof;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0 && errno == 0) return IoStatus::kEof;
      [[fallthrough]];
    default:
      failed_ = true;
      error_ = ERR_peek_error();
      // Never leave errors in the thread's queue: SSL_get_error on the next connection of this
      // worker would read them.
      ERR_clear_error();
      return IoStatus::kError;
  }
}

IoStatus Transport::handshake() {
  if (handshake_done_) return IoStatus::kOk;
  ERR_clear_error();
  errno = 0;
  int ret = SSL_do_handshake(ssl_);
  if (ret == 1) {
    handshake_done_ = true;
    return IoStatus::kOk;
  }
  return ssl_status(ret);
}

IoResult Transport::read(char* buf, size_t len) {
  IoResult r;
  if (ssl_ == nullptr) {
    ssize_t n = ::read(fd_, buf, len);
    if (n > 0) {
      r.n = static_cast<size_t>(n);
    } else if (n == 0) {
      r.status = IoStatus::kEof;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      r.status = IoStatus::kWantRead;
    } else {
      failed_ = true;
      r.status = IoStatus::kError;
    }
    return r;
  }
  ERR_clear_error();
  errno = 0;
  size_t got = 0;
  int ret = SSL_read_ex(ssl_, buf, len, &got);
  if (ret == 1) {
    r.n = got;
    return r;
  }
  r.status = ssl_status(ret);
  return r;
}

IoResult Transport::writev(const iovec* iov, int iovcnt) {
  IoResult r;
  if (ssl_ == nullptr) {
    ssize_t n = ::writev(fd_, iov, iovcnt);
    if (n >= 0) {
      r.n = static_cast<size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      r.status = IoStatus::kWantWrite;
    } else {
      failed_ = true;  // EPIPE, ECONNRESET: the client is gone
      r.status = IoStatus::kError;
    }
    return r;
  }
  ERR_clear_error();
  errno = 0;
  size_t put = 0;
  int ret = SSL_write_ex(ssl_, iov[0].iov_base, iov[0].iov_len, &put);
  if (ret == 1) {
    r.n = put;
    return r;
  }
  r.status = ssl_status(ret);
  return r;
}

void Transport::shutdown() {
  if (ssl_ == nullptr || !handshake_done_ || failed_) return;
  ERR_clear_error();
  // One attempt: sends our close_notify if the socket takes it; we do not wait for the peer's.
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace portcullis::tls
