// A minimal blocking HTTP/1.1 keep-alive client for the scorer's proxy mode. Loopback only: the
// scorer measures a proxy running on this machine.
#pragma once

#include <cstdint>
#include <string>

namespace portcullis::bench {

class ProxyClient {
 public:
  ProxyClient(std::string host, uint16_t port) : host_(std::move(host)), port_(port) {}
  ~ProxyClient();
  // Sends one request (a complete HTTP/1.1 message) and returns the response status, or -1.
  // Reconnects once when the kept-alive connection was closed.
  int send(const std::string& request);

 private:
  bool connect();
  int exchange(const std::string& request);
  std::string host_;
  uint16_t port_;
  int fd_ = -1;
  std::string buf_;
};

}  // namespace portcullis::bench
