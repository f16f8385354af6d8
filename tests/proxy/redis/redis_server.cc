#include "tests/proxy/redis/redis_server.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

namespace portcullis::testing {
namespace {

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

bool RedisServerAvailable() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

std::optional<std::string> ServicesEnv(const std::string& key) {
  const char* dir = std::getenv("PORTCULLIS_SERVICES_DIR");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  std::ifstream in(std::string(dir) + "/env");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return std::nullopt;
}

std::unique_ptr<RedisServer> RedisServer::Start(const std::string& password) {
  if (!RedisServerAvailable()) return nullptr;
  std::unique_ptr<RedisServer> r(new RedisServer());
  r->password_ = password;
  for (int attempt = 0; attempt < 5; ++attempt) {
    r->port_ = free_port();
    if (r->Spawn()) return r;
  }
  return nullptr;
}

std::unique_ptr<RedisServer> RedisServer::StartTls(bool require_client_cert) {
  if (!RedisServerAvailable()) return nullptr;
  char tmpl[] = "/tmp/portcullis-redis-tls-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return nullptr;
  std::unique_ptr<RedisServer> r(new RedisServer());
  r->tls_dir_ = tmpl;
  r->require_client_cert_ = require_client_cert;
  const std::string& d = r->tls_dir_;
  {
    std::ofstream ext(d + "/ext.cnf");
    ext << "[srv]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
           "[cli]\nextendedKeyUsage=clientAuth\n";
  }
  const std::string ossl = "openssl";
  std::string script = "cd '" + d + "' && " + ossl +
                       " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                       "-subj /CN=pc-test-ca -keyout ca.key -out ca.pem && " +
                       ossl +
                       " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                       "-subj /CN=pc-other-ca -keyout other-ca.key -out other-ca.pem && " +
                       ossl +
                       " req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=redis "
                       "-keyout server.key -out server.csr && " +
                       ossl +
                       " x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                       "-days 2 -extfile ext.cnf -extensions srv -out server.pem && " +
                       ossl +
                       " req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=client "
                       "-keyout client.key -out client.csr && " +
                       ossl +
                       " x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                       "-days 2 -extfile ext.cnf -extensions cli -out client.pem";
  script = "(" + script + ") >/dev/null 2>&1";
  if (std::system(script.c_str()) != 0) return nullptr;
  for (int attempt = 0; attempt < 5; ++attempt) {
    r->port_ = free_port();
    r->tls_port_ = free_port();
    if (r->Spawn()) return r;
  }
  return nullptr;
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);
    Stop();
  }
  if (!tls_dir_.empty()) {
    std::string rm = "rm -rf '" + tls_dir_ + "'";
    (void)!std::system(rm.c_str());
  }
}

std::string RedisServer::url() const {
  std::string auth = password_.empty() ? "" : ":" + password_ + "@";
  if (!tls_dir_.empty()) return "rediss://" + auth + "127.0.0.1:" + std::to_string(tls_port_);
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_);
}

bool RedisServer::Spawn() {
  std::vector<std::string> args = {
      "redis-server", "--port", std::to_string(port_), "--bind",  "127.0.0.1",   "--save", "",
      "--appendonly", "no",     "--loglevel",          "warning", "--daemonize", "no"};
  if (!password_.empty()) {
    args.push_back("--requirepass");
    args.push_back(password_);
  }
  if (!tls_dir_.empty()) {
    for (const std::string& a : std::vector<std::string>{
             "--tls-port", std::to_string(tls_port_), "--tls-cert-file", tls_dir_ + "/server.pem",
             "--tls-key-file", tls_dir_ + "/server.key", "--tls-ca-cert-file", tls_dir_ + "/ca.pem",
             "--tls-auth-clients", std::string(require_client_cert_ ? "yes" : "no")}) {
      args.push_back(a);
    }
  }
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    setpgid(0, 0);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execvp("redis-server", argv.data());
    _exit(127);
  }
  if (pid < 0) return false;
  pid_ = pid;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;  // e.g. the port was taken meanwhile
    }
    if (Command("PING") == "PONG") return true;
  }
  Stop();
  return false;
}

bool RedisServer::Stop() {
  if (pid_ <= 0) return false;
  kill(pid_, SIGCONT);
  kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return true;
}

bool RedisServer::Restart() {
  Stop();
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (Spawn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void RedisServer::Pause() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void RedisServer::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

std::string RedisServer::Command(const std::string& cmd) const {
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return "";
  }
  redisSetTimeout(c, tv);
  std::string out;
  if (!password_.empty()) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "AUTH %s", password_.c_str()));
    if (r != nullptr) freeReplyObject(r);
  }
  // Split on spaces (test commands have no quoted arguments).
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < cmd.size()) {
    size_t j = cmd.find(' ', i);
    if (j == std::string::npos) j = cmd.size();
    if (j > i) parts.push_back(cmd.substr(i, j - i));
    i = j + 1;
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& p : parts) {
    argv.push_back(p.data());
    lens.push_back(p.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (r != nullptr) {
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
      out.assign(r->str, r->len);
    } else if (r->type == REDIS_REPLY_INTEGER) {
      out = std::to_string(r->integer);
    } else if (r->type == REDIS_REPLY_ERROR) {
      out = "ERR:" + std::string(r->str, r->len);
    }
    freeReplyObject(r);
  }
  redisFree(c);
  return out;
}

}  // namespace portcullis::testing
