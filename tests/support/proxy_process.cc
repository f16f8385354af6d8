#include "tests/support/proxy_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace portcullis::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Finds "<marker>HOST:PORT" in the log and returns PORT.
uint16_t PortAfter(const std::string& log, const std::string& marker) {
  size_t pos = log.find(marker);
  if (pos == std::string::npos) return 0;
  size_t eol = log.find('\n', pos);
  std::string line = log.substr(pos + marker.size(), eol - pos - marker.size());
  size_t sp = line.find(' ');
  if (sp != std::string::npos) line.resize(sp);
  size_t colon = line.rfind(':');
  if (colon == std::string::npos) return 0;
  return static_cast<uint16_t>(std::atoi(line.c_str() + colon + 1));
}

pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
            const std::string& log_path) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  for (const auto& e : env) ::putenv(::strdup(e.c_str()));
  std::vector<char*> argv;
  std::string bin = ProxyProcess::BinaryPath();
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(bin.c_str(), argv.data());
  std::perror("execv portcullis");
  ::_exit(127);
}

}  // namespace

std::string ProxyProcess::BinaryPath() {
  if (const char* p = std::getenv("PORTCULLIS_BINARY")) return p;
  return std::string(PORTCULLIS_BINARY_DIR) + "/portcullis";
}

std::unique_ptr<ProxyProcess> ProxyProcess::Start(const std::string& yaml,
                                                  const std::vector<std::string>& env) {
  std::unique_ptr<ProxyProcess> p(new ProxyProcess());
  char tmpl[] = "/tmp/portcullis-test-XXXXXX";
  p->dir_ = ::mkdtemp(tmpl);
  p->config_path_ = p->dir_ + "/portcullis.yaml";
  p->log_path_ = p->dir_ + "/portcullis.log";
  p->RewriteConfig(yaml);
  p->pid_ = Spawn({"-c", p->config_path_}, env, p->log_path_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string log = ReadFile(p->log_path_);
    p->port_ = PortAfter(log, "proxy listening on ");
    p->admin_port_ = PortAfter(log, "admin listening on ");
    p->tls_port_ = PortAfter(log, "tls listening on ");
    bool admin_off = log.find("admin disabled") != std::string::npos;
    if (p->port_ != 0 && (p->admin_port_ != 0 || admin_off)) return p;
    int status;
    if (::waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
      p->exited_ = true;
      std::fprintf(stderr, "portcullis exited during start-up:\n%s\n", log.c_str());
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "portcullis did not start in time:\n%s\n", ReadFile(p->log_path_).c_str());
  return nullptr;
}

ProxyProcess::~ProxyProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  if (!dir_.empty() && std::getenv("PORTCULLIS_KEEP_TEST_DIRS") == nullptr) {
    std::string cmd = "rm -rf '" + dir_ + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir_.c_str());
  }
}

void ProxyProcess::Signal(int sig) { ::kill(pid_, sig); }

int ProxyProcess::WaitExit(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string ProxyProcess::Log() const { return ReadFile(log_path_); }

bool ProxyProcess::WaitForLog(const std::string& needle, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Log().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ProxyProcess::RewriteConfig(const std::string& yaml) {
  std::string tmp = config_path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << yaml;
  }
  std::rename(tmp.c_str(), config_path_.c_str());
}

std::pair<int, std::string> RunPortcullis(const std::vector<std::string>& args,
                                          const std::vector<std::string>& env) {
  char tmpl[] = "/tmp/portcullis-run-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ::close(fd);
  pid_t pid = Spawn(args, env, tmpl);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string out = ReadFile(tmpl);
  ::unlink(tmpl);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace portcullis::testing
