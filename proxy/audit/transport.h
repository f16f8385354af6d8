// Transport: a blocking TCP or TLS (OpenSSL) client connection with a timeout on every operation,
// used by the syslog, HTTP and webhook sinks from their own threads.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "rules/base/result.h"

namespace portcullis::audit {

struct TlsOptions {
  bool enabled = false;
  bool verify = true;   // verify the peer certificate and host name
  std::string ca_file;  // empty: the system trust store
  std::string sni;      // server name (defaults to the host)
};

class Transport {
 public:
  static Result<std::unique_ptr<Transport>> connect(const std::string& host, uint16_t port,
                                                    const TlsOptions& tls,
                                                    std::chrono::milliseconds timeout);
  ~Transport();
  Status write_all(std::string_view data);
  // Reads up to n bytes, waiting at most the timeout; 0 at EOF.
  Result<size_t> read_some(char* buf, size_t n);
  // Non-blocking: did the peer close or reset the connection?
  bool peer_closed();
  // Bytes sent but not yet acknowledged by the peer's TCP (Linux SIOCOUTQ).
  int unacked_bytes() const;

 private:
  Transport() = default;
  bool wait(short events);
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int timeout_ms_ = 5000;
};

// Opens a UDP socket "connected" to host:port.
Result<int> connect_udp(const std::string& host, uint16_t port);

}  // namespace portcullis::audit
