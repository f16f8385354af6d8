#include "tests/support/test_origin.h"

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
#include <stdexcept>
#include <string_view>

namespace portcullis::testing {
namespace {

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads more bytes into buf; false on EOF, error or stop.
bool ReadMore(int fd, std::string& buf, const std::atomic<bool>& stopping) {
  char tmp[16384];
  while (!stopping.load()) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r == 0) continue;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
  return false;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string HeaderValue(std::string_view head, std::string_view name_lower) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) break;
    std::string_view line = head.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && Lower(line.substr(0, colon)) == name_lower) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return std::string(v);
    }
    pos = end;
  }
  return {};
}

}  // namespace

TestOrigin::TestOrigin(uint16_t port, const std::string& host) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 1024) != 0) {
    throw std::runtime_error(std::string("test origin: bind/listen failed: ") + strerror(errno));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

TestOrigin::~TestOrigin() { Stop(); }

void TestOrigin::Serve() {
  while (!stopping_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

void TestOrigin::Stop() {
  if (stopping_.exchange(true)) return;
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(conn_threads_);
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

std::vector<std::string> TestOrigin::received_heads() {
  std::lock_guard<std::mutex> lock(mu_);
  return heads_;
}

void TestOrigin::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    accepted_++;
    std::lock_guard<std::mutex> lock(mu_);
    conn_fds_.push_back(fd);
    conn_threads_.emplace_back([this, fd] { HandleConnection(fd); });
  }
}

void TestOrigin::HandleConnection(int fd) {
  std::string buf;
  for (;;) {
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(fd, buf, stopping_)) goto done;
    }
    {
      std::string head = buf.substr(0, head_end + 2);
      buf.erase(0, head_end + 4);
      {
        std::lock_guard<std::mutex> lock(mu_);
        heads_.push_back(head);
      }
      requests_++;
      std::string_view request_line(head.data(), head.find("\r\n"));
      size_t sp1 = request_line.find(' ');
      size_t sp2 = request_line.rfind(' ');
      std::string method(request_line.substr(0, sp1));
      std::string target(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
      std::string path = target.substr(0, target.find('?'));

      // Body: Content-Length or chunked.
      std::string body;
      std::string te = Lower(HeaderValue(head, "transfer-encoding"));
      std::string cl = HeaderValue(head, "content-length");
      if (te == "chunked") {
        for (;;) {
          size_t eol;
          while ((eol = buf.find("\r\n")) == std::string::npos)
            if (!ReadMore(fd, buf, stopping_)) goto done;
          size_t size = std::strtoull(buf.c_str(), nullptr, 16);
          buf.erase(0, eol + 2);
          if (size == 0) {
            while ((eol = buf.find("\r\n")) == std::string::npos)
              if (!ReadMore(fd, buf, stopping_)) goto done;
            buf.erase(0, eol + 2);  // no trailers expected from the proxy
            break;
          }
          while (buf.size() < size + 2)
            if (!ReadMore(fd, buf, stopping_)) goto done;
          body.append(buf, 0, size);
          buf.erase(0, size + 2);
        }
      } else if (!cl.empty()) {
        size_t n = std::strtoull(cl.c_str(), nullptr, 10);
        while (buf.size() < n)
          if (!ReadMore(fd, buf, stopping_)) goto done;
        body = buf.substr(0, n);
        buf.erase(0, n);
      }

      bool close_after = Lower(HeaderValue(head, "connection")).find("close") != std::string::npos;
      std::string resp;
      if (!HeaderValue(head, "upgrade").empty()) {
        resp = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " +
               HeaderValue(head, "upgrade") + "\r\n\r\n";
        if (!WriteAll(fd, resp)) goto done;
        if (!buf.empty() && !WriteAll(fd, buf)) goto done;
        buf.clear();
        while (ReadMore(fd, buf, stopping_)) {
          if (!WriteAll(fd, buf)) break;
          buf.clear();
        }
        goto done;
      }
      if (path == "/drop") goto done;
      if (path.rfind("/delay/", 0) == 0) {
        int ms = std::atoi(path.c_str() + 7);
        for (int waited = 0; waited < ms && !stopping_.load(); waited += 10)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (path.rfind("/status/", 0) == 0) {
        int status = std::atoi(path.c_str() + 8);
        bool no_body = (status >= 100 && status < 200) || status == 204 || status == 304;
        resp = "HTTP/1.1 " + std::to_string(status) + " Test\r\nX-Origin: test\r\n";
        if (no_body) {
          resp += "\r\n";
        } else {
          resp += "Content-Length: 7\r\n\r\nstatus\n";
        }
      } else if (path == "/chunked") {
        resp =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Origin: test\r\n\r\n"
            "6\r\nhello \r\n6\r\nhello \r\n6\r\nhello \r\n6\r\nhello \r\n0\r\n\r\n";
      } else if (path == "/close") {
        resp = "HTTP/1.1 200 OK\r\nX-Origin: test\r\nConnection: close\r\n\r\nclose-delimited body";
        WriteAll(fd, resp);
        goto done;
      } else if (path.rfind("/bytes/", 0) == 0) {
        size_t n = std::strtoull(path.c_str() + 7, nullptr, 10);
        resp = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
               std::to_string(n) + "\r\n\r\n";
        if (!WriteAll(fd, resp)) goto done;
        if (method == "HEAD") n = 0;
        std::string chunk(64 * 1024, 'x');
        while (n > 0) {
          size_t k = n < chunk.size() ? n : chunk.size();
          if (!WriteAll(fd, std::string_view(chunk.data(), k))) goto done;
          n -= k;
        }
        resp.clear();
      } else if (path == "/powered") {
        // A chatty origin: stack-revealing headers and its own framing policy.
        resp =
            "HTTP/1.1 200 OK\r\nServer: Apache/2.4.1 (Unix)\r\nX-Powered-By: PHP/5.4.0\r\n"
            "X-Frame-Options: DENY\r\nContent-Length: 2\r\n\r\nok";
      } else if (path == "/early-hints") {
        resp =
            "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      } else {
        std::string echo = head + "\r\n" + body;
        resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Origin: test\r\nContent-Length: " +
               std::to_string(echo.size()) + "\r\n\r\n" + echo;
      }
      if (method == "HEAD") {
        size_t he = resp.find("\r\n\r\n");
        if (he != std::string::npos) resp.resize(he + 4);
      }
      if (!resp.empty() && !WriteAll(fd, resp)) goto done;
      if (close_after) goto done;
    }
  }
done:
  ::shutdown(fd, SHUT_RDWR);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = conn_fds_.begin(); it != conn_fds_.end(); ++it) {
    if (*it == fd) {
      conn_fds_.erase(it);
      break;
    }
  }
  ::close(fd);
}

}  // namespace portcullis::testing
