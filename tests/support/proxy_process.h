// ProxyProcess: runs the real `portcullis` binary as a child process for integration tests, with
// a YAML config written to a temp file, and learns its ephemeral ports from its start-up log.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::testing {

class ProxyProcess {
 public:
  // Starts `portcullis -c <tmp.yaml>` with extra environment variables ("NAME=value") and waits
  // (up to 10 s) until it logs its listening ports. nullptr on failure (log printed to stderr).
  static std::unique_ptr<ProxyProcess> Start(const std::string& yaml,
                                             const std::vector<std::string>& env = {});
  ~ProxyProcess();

  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  uint16_t tls_port() const { return tls_port_; }  // the first TLS listener, 0 if none
  pid_t pid() const { return pid_; }
  const std::string& config_path() const { return config_path_; }

  void Signal(int sig);
  // Waits for exit; returns the exit status (as from WEXITSTATUS) or -1 on timeout/killed.
  int WaitExit(int timeout_ms);
  std::string Log() const;
  // Waits until the log contains `needle` (e.g. a reload message).
  bool WaitForLog(const std::string& needle, int timeout_ms) const;
  // Rewrites the config file (for SIGHUP reload tests).
  void RewriteConfig(const std::string& yaml);

  static std::string BinaryPath();

 private:
  ProxyProcess() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  uint16_t tls_port_ = 0;
  std::string dir_;
  std::string config_path_;
  std::string log_path_;
  bool exited_ = false;
};

// Runs `portcullis <args>` to completion; returns {exit code, combined output}.
std::pair<int, std::string> RunPortcullis(const std::vector<std::string>& args,
                                          const std::vector<std::string>& env = {});

}  // namespace portcullis::testing
