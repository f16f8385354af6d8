#include "bench/detect_score/proxy_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace portcullis::bench {

ProxyClient::~ProxyClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool ProxyClient::connect() {
  if (fd_ >= 0) ::close(fd_);
  buf_.clear();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port_);
  if (inet_pton(AF_INET, host_.c_str(), &sa.sin_addr) != 1) return false;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{10, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return true;
}

int ProxyClient::exchange(const std::string& request) {
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = ::send(fd_, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return -1;
    off += static_cast<size_t>(n);
  }
  char tmp[16384];
  size_t head_end;
  while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return -1;
    buf_.append(tmp, static_cast<size_t>(n));
  }
  std::string head = buf_.substr(0, head_end + 4);
  int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : -1;
  size_t length = 0;
  bool close = false;
  for (size_t pos = head.find("\r\n"); pos != std::string::npos && pos + 2 < head.size();
       pos = head.find("\r\n", pos + 2)) {
    std::string line = head.substr(pos + 2, head.find("\r\n", pos + 2) - pos - 2);
    for (size_t i = 0; i < line.size() && line[i] != ':'; ++i)
      line[i] = static_cast<char>(std::tolower(line[i]));
    if (line.rfind("content-length:", 0) == 0)
      length = std::strtoul(line.c_str() + 15, nullptr, 10);
    if (line.rfind("connection:", 0) == 0 && line.find("close") != std::string::npos) close = true;
  }
  while (buf_.size() < head_end + 4 + length) {
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return -1;
    buf_.append(tmp, static_cast<size_t>(n));
  }
  buf_.erase(0, head_end + 4 + length);
  if (close) {
    ::close(fd_);
    fd_ = -1;
  }
  return status;
}

int ProxyClient::send(const std::string& request) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !connect()) return -1;
    int status = exchange(request);
    if (status > 0) return status;
    ::close(fd_);
    fd_ = -1;
  }
  return -1;
}

}  // namespace portcullis::bench
