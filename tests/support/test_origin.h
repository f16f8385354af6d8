// TestOrigin: a small, deliberately independent HTTP/1.1 origin for integration tests, the README
// demo and the benchmarks. It does NOT share the proxy's parser, so it is an independent oracle for
// what the proxy actually put on the wire.
//
// Behaviour by path (query strings are ignored for routing):
//   /status/N        respond with status N (no body for 1xx/204/304)
//   /delay/MS        wait MS milliseconds, then respond 200
//   /chunked         respond with a chunked body ("hello " x 4 in 4 chunks)
//   /close           respond without Content-Length, delimited by closing the connection
//   /bytes/N         respond with N bytes of 'x' (Content-Length)
//   /drop            close the connection without responding
//   /early-hints     send "103 Early Hints" before the 200
//   /powered         200 with Server, X-Powered-By and X-Frame-Options: DENY
//   Upgrade: websocket on any path: answer 101 and echo every byte back (tunnel test)
//   anything else    200 with a text echo: the request line, every header line as received, an
//   empty
//                    line, then the body as received (after de-chunking)
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace portcullis::testing {

class TestOrigin {
 public:
  // Binds 127.0.0.1:port (0 = ephemeral) and serves on background threads until Stop()/destruction.
  explicit TestOrigin(uint16_t port = 0, const std::string& host = "127.0.0.1");
  ~TestOrigin();
  TestOrigin(const TestOrigin&) = delete;
  TestOrigin& operator=(const TestOrigin&) = delete;

  uint16_t port() const { return port_; }
  void Stop();
  // Runs in the calling thread until Stop() (for the standalone demo binary).
  void Serve();

  uint64_t connections_accepted() const { return accepted_.load(); }
  uint64_t requests_served() const { return requests_.load(); }
  // The raw heads of every request received, in order (for asserting what the proxy forwarded).
  std::vector<std::string> received_heads();

 private:
  void AcceptLoop();
  void HandleConnection(int fd);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> requests_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> conn_threads_;
  std::vector<int> conn_fds_;
  std::vector<std::string> heads_;
};

}  // namespace portcullis::testing
