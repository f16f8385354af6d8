// RedisServer: a real redis-server child process on 127.0.0.1 and a free port, for the Redis
// client tests and the rate-limit integration tests (which also stop, pause and restart it).
// Also reads the shared one started by scripts/services.sh ($PORTCULLIS_SERVICES_DIR/env).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace portcullis::testing {

class RedisServer {
 public:
  // nullptr when redis-server cannot be started (not installed).
  static std::unique_ptr<RedisServer> Start(const std::string& password = "");
  ~RedisServer();

  uint16_t port() const { return port_; }
  std::string url() const;  // redis://[:password@]127.0.0.1:port
  bool Stop();              // SIGTERM + wait; false if it was not running
  bool Restart();           // same port, same password; waits until it answers PING
  void Pause();             // SIGSTOP: connections stay open, nothing answers
  void Resume();            // SIGCONT
  // Runs one command through a blocking hiredis connection; the reply as text ("" on error).
  std::string Command(const std::string& cmd) const;

 private:
  RedisServer() = default;
  bool Spawn();
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string password_;
};

// KEY=value from $PORTCULLIS_SERVICES_DIR/env (nullopt when the variable or the key is unset).
std::optional<std::string> ServicesEnv(const std::string& key);

// Whether redis-server is on PATH.
bool RedisServerAvailable();

}  // namespace portcullis::testing
