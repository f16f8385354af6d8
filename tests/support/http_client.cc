#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace portcullis::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Buffered reader with a deadline; bytes read past one response stay for the next call.
struct Reader {
  int fd;
  Clock::time_point deadline;
  std::string& buf;
  bool Fill() {
    char tmp[65536];
    for (;;) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (left <= 0) return false;
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, left);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
      return true;
    }
  }
};

std::map<int, std::string>& Leftovers() {
  static thread_local std::map<int, std::string> m;
  return m;
}

}  // namespace

int ConnectTcp(uint16_t port, const char* source_ip) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (source_ip != nullptr) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, source_ip, &src.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  Leftovers().erase(fd);
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<HttpResponse> ReadResponse(int fd, int timeout_ms, bool head_request) {
  std::string& buf = Leftovers()[fd];
  Reader r{fd, Clock::now() + std::chrono::milliseconds(timeout_ms), buf};
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!r.Fill()) return std::nullopt;
  }
  HttpResponse resp;
  resp.head = buf.substr(0, end + 2);
  buf.erase(0, end + 4);
  if (resp.head.size() < 12) return std::nullopt;
  resp.status = std::atoi(resp.head.c_str() + 9);
  size_t pos = resp.head.find("\r\n") + 2;
  while (pos < resp.head.size()) {
    size_t eol = resp.head.find("\r\n", pos);
    std::string line = resp.head.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t vs = line.find_first_not_of(" \t", colon + 1);
    resp.headers[name] = vs == std::string::npos ? "" : line.substr(vs);
  }
  if ((resp.status >= 100 && resp.status < 200) || resp.status == 204 || resp.status == 304 ||
      head_request) {
    return resp;
  }
  auto te = resp.headers.find("transfer-encoding");
  auto cl = resp.headers.find("content-length");
  if (te != resp.headers.end() && te->second == "chunked") {
    resp.chunked = true;
    for (;;) {
      size_t eol;
      while ((eol = buf.find("\r\n")) == std::string::npos)
        if (!r.Fill()) return std::nullopt;
      size_t size = std::strtoull(buf.c_str(), nullptr, 16);
      buf.erase(0, eol + 2);
      if (size == 0) {
        while ((eol = buf.find("\r\n")) == std::string::npos)
          if (!r.Fill()) return std::nullopt;
        buf.erase(0, eol + 2);
        break;
      }
      while (buf.size() < size + 2)
        if (!r.Fill()) return std::nullopt;
      resp.body.append(buf, 0, size);
      buf.erase(0, size + 2);
    }
  } else if (cl != resp.headers.end()) {
    size_t n = std::strtoull(cl->second.c_str(), nullptr, 10);
    while (buf.size() < n)
      if (!r.Fill()) return std::nullopt;
    resp.body = buf.substr(0, n);
    buf.erase(0, n);
  } else {
    while (r.Fill()) {
    }
    resp.body.swap(buf);
    buf.clear();
  }
  return resp;
}

bool WaitClosed(int fd, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char tmp[4096];
  for (;;) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return true;
  }
}

std::optional<HttpResponse> Fetch(uint16_t port, std::string_view raw_request, int timeout_ms) {
  int fd = ConnectTcp(port);
  if (fd < 0) return std::nullopt;
  std::optional<HttpResponse> resp;
  if (SendAll(fd, raw_request)) resp = ReadResponse(fd, timeout_ms);
  Leftovers().erase(fd);
  ::close(fd);
  return resp;
}

std::string Get(std::string_view target, std::string_view extra_headers) {
  std::string r = "GET ";
  r.append(target);
  r += " HTTP/1.1\r\nHost: test.local\r\n";
  r.append(extra_headers);
  r += "\r\n";
  return r;
}

}  // namespace portcullis::testing
