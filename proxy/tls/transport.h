// Transport: the byte stream of one accepted client socket, plaintext or TLS (OpenSSL 3 over the
// socket BIO). Non-blocking, no event loop of its own: the caller waits for readiness and retries
// with what a call asked for (kWantRead / kWantWrite). It replaces libevent's bufferevents on the
// client side, whose extra layers cost a FIONREAD ioctl per read (plaintext) and one TLS record
// plus one write(2) per buffer chain (TLS).
//
// The Transport owns the socket and the SSL object: the destructor frees the SSL and closes the fd.
#pragma once

#include <openssl/ssl.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace portcullis::tls {

enum class IoStatus : uint8_t {
  kOk,         // n bytes moved (n > 0), or the handshake is complete
  kWantRead,   // retry when the socket is readable
  kWantWrite,  // retry when the socket is writable
  kEof,        // orderly end of stream (FIN, close_notify, or a TLS peer closing without one)
  kError,      // fatal: reset, protocol error, failed handshake; error() tells why
};

struct IoResult {
  size_t n = 0;
  IoStatus status = IoStatus::kOk;
};

class Transport {
 public:
  // ssl: null for plaintext; else a fresh server SSL (ownership taken), bound to fd here.
  Transport(int fd, SSL* ssl);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_; }
  bool tls() const { return ssl_ != nullptr; }
  bool handshake_done() const { return handshake_done_; }

  // Drives the TLS server handshake (SNI, ALPN, client certificate: all in the SSL_CTX
  // callbacks). kOk once done; plaintext is always done.
  IoStatus handshake();
  // At most len bytes into buf. Plaintext: one read(2).
  IoResult read(char* buf, size_t len);
  // TLS: plaintext buffered inside OpenSSL (read ahead) that no socket event will announce.
  bool has_buffered_input() const { return ssl_ != nullptr && SSL_has_pending(ssl_) == 1; }
  // Plaintext: one writev(2). TLS: one SSL_write of iov[0] only (one record per call, at most
  // 16 KiB); after kWantRead/kWantWrite, retry with at least the same bytes (moving buffer and
  // partial writes are enabled).
  IoResult writev(const iovec* iov, int iovcnt);
  // Best effort close_notify (RFC 8446 6.1), never blocks; skipped after a fatal error.
  void shutdown();
  // The first OpenSSL error of the last kError (0: a socket error or none).
  unsigned long error() const { return error_; }

 private:
  IoStatus ssl_status(int ret);

  int fd_;
  SSL* ssl_;
  bool handshake_done_;
  bool failed_ = false;
  unsigned long error_ = 0;
};

}  // namespace portcullis::tls
