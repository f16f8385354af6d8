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
  // The same plus a TLS port (url() is rediss://127.0.0.1:tls_port; Command() still uses the
  // plain port). Generates with openssl, in a temporary directory: a CA, a server certificate for
  // 127.0.0.1 / localhost, a client certificate, and a second CA that signed nothing here.
  // require_client_cert: --tls-auth-clients yes (mutual TLS).
  static std::unique_ptr<RedisServer> StartTls(bool require_client_cert = false);
  ~RedisServer();

  uint16_t port() const { return port_; }
  std::string url() const;  // redis://[:password@]127.0.0.1:port (rediss:// and tls_port for TLS)
  uint16_t tls_port() const { return tls_port_; }
  std::string ca_file() const { return tls_dir_ + "/ca.pem"; }
  std::string other_ca_file() const { return tls_dir_ + "/other-ca.pem"; }
  std::string client_cert_file() const { return tls_dir_ + "/client.pem"; }
  std::string client_key_file() const { return tls_dir_ + "/client.key"; }
  bool Stop();     // SIGTERM + wait; false if it was not running
  bool Restart();  // same port, same password; waits until it answers PING
  void Pause();    // SIGSTOP: connections stay open, nothing answers
  void Resume();   // SIGCONT
  // Runs one command through a blocking hiredis connection; the reply as text ("" on error).
  std::string Command(const std::string& cmd) const;

 private:
  RedisServer() = default;
  bool Spawn();
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  std::string tls_dir_;  // "" = no TLS
  bool require_client_cert_ = false;
  std::string password_;
};

// KEY=value from $PORTCULLIS_SERVICES_DIR/env (nullopt when the variable or the key is unset).
std::optional<std::string> ServicesEnv(const std::string& key);

// Whether redis-server is on PATH.
bool RedisServerAvailable();

}  // namespace portcullis::testing
