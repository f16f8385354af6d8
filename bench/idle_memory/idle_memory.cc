// idle_memory: measures the resident memory a running proxy spends per idle keep-alive client
// connection. Opens N connections to HOST:PORT, sends one request on each (so every connection
// has completed a full exchange and sits in keep-alive), then reads VmRSS of PID.
// Usage: idle_memory PID PORT [N=10000]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PID PORT [N]\n", argv[0]);
    return 2;
  }
  int pid = std::atoi(argv[1]);
  int port = std::atoi(argv[2]);
  int n = argc > 3 ? std::atoi(argv[3]) : 10000;
  rlimit rl{static_cast<rlim_t>(n + 100), static_cast<rlim_t>(n + 100)};
  setrlimit(RLIMIT_NOFILE, &rl);
  long before = rss_kib(pid);
  std::vector<int> fds;
  const char req[] = "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: idle-memory\r\n\r\n";
  char buf[4096];
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      std::fprintf(stderr, "connect %d failed\n", i);
      return 1;
    }
    if (send(fd, req, sizeof(req) - 1, 0) <= 0 || recv(fd, buf, sizeof(buf), 0) <= 0) {
      std::fprintf(stderr, "request on connection %d failed\n", i);
      return 1;
    }
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  long after = rss_kib(pid);
  std::printf("connections=%d rss_before_kib=%ld rss_after_kib=%ld per_connection_bytes=%.0f\n", n,
              before, after, (after - before) * 1024.0 / n);
  for (int fd : fds) close(fd);
  return 0;
}
