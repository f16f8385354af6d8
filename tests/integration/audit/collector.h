// Collector: a loopback HTTP/1.1 server that records POST bodies, for the HTTP and Slack sink
// tests. Its behaviour per request is scripted: answer 200, answer 503, or stall (read the
// request, then say nothing until the client gives up).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace portcullis::audit::testing {

class Collector {
 public:
  enum class Reply { kOk, kFail, kStall };
  // port 0: an ephemeral port; else that port (a webhook that comes up where it was expected).
  explicit Collector(std::function<Reply(int request_no)> script, uint16_t port = 0)
      : script_(std::move(script)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 64);
    socklen_t l = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &l);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Collector() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lk(mu_);
    return bodies_;
  }
  int requests() const { return requests_.load(); }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      Handle(c);
      close(c);
    }
  }
  void Handle(int c) {
    std::string req;
    char buf[65536];
    size_t want = std::string::npos;
    while (want == std::string::npos || req.size() < want) {
      pollfd p{c, POLLIN, 0};
      if (poll(&p, 1, 2000) <= 0) return;
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
      size_t he = req.find("\r\n\r\n");
      if (want == std::string::npos && he != std::string::npos) {
        size_t cl = req.find("Content-Length: ");
        want = he + 4 +
               (cl == std::string::npos ? 0 : std::strtoul(req.c_str() + cl + 16, nullptr, 10));
      }
    }
    int no = requests_++;
    Reply r = script_(no);
    if (r == Reply::kStall) {
      for (int i = 0; i < 40 && !stop_; ++i) usleep(25000);  // 1 s: longer than the sink timeout
      return;
    }
    if (r == Reply::kOk) {
      std::lock_guard<std::mutex> lk(mu_);
      bodies_.push_back(req.substr(req.find("\r\n\r\n") + 4));
      head_ = req.substr(0, req.find("\r\n\r\n"));
    }
    std::string resp = r == Reply::kOk ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                                       : "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n";
    (void)!write(c, resp.data(), resp.size());
  }

 public:
  std::string last_head() {
    std::lock_guard<std::mutex> lk(mu_);
    return head_;
  }

 private:
  std::function<Reply(int)> script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::string head_;
};

}  // namespace portcullis::audit::testing
