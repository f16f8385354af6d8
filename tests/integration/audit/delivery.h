// Shared by the audit delivery tests: the services env (scripts/services.sh), unique tags, the
// events they emit, parsing delivered JSON lines back by request id, and a private rsyslog.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "proxy/audit/event.h"

namespace portcullis::audit::testing {

inline std::map<std::string, std::string> ServicesEnv() {
  std::map<std::string, std::string> env;
  const char* dir = getenv("PORTCULLIS_SERVICES_DIR");
  if (dir == nullptr) return env;
  std::ifstream f(std::string(dir) + "/env");
  for (std::string l; std::getline(f, l);) {
    size_t eq = l.find('=');
    if (eq != std::string::npos) env[l.substr(0, eq)] = l.substr(eq + 1);
  }
  return env;
}

inline std::string Tag() {
  std::random_device rd;
  return "t" + std::to_string(rd()) + std::to_string(getpid());
}

// request ids "<tag>-<n>" -> the JSON lines that carry them.
inline std::map<std::string, std::set<std::string>> ById(const std::string& text,
                                                         const std::string& tag) {
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    size_t p = l.find("\"id\":\"" + tag + "-");
    if (p == std::string::npos) continue;
    size_t s = p + 6, e = l.find('"', s);
    out[l.substr(s, e - s)].insert(l);
  }
  return out;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline Event MakeEvent(const std::string& tag, int i) {
  Event ev;
  ev.priority = Priority::kP1;
  ev.mode = Mode::kBlock;
  ev.outcome = Outcome::kFailure;
  ev.type.set("denied");
  ev.action.set("inspection.sqli");
  ev.detector.set("sqli");
  ev.source_ip.set("203.0.113.9");
  ev.client_ip.set("198.51.100." + std::to_string(i % 7));
  ev.request_id.set(tag + "-" + std::to_string(i));
  ev.method.set("GET");
  ev.path.set("/search");
  ev.query.set("q=1' OR '1'='1 \xff\x01 caf\xc3\xa9");
  ev.excerpt.set("1' OR '1'='1");
  ev.status = 403;
  return ev;
}

inline uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t l = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l);
  close(fd);
  return ntohs(a.sin_port);
}

// The server side of rsyslog's gtls netstream driver (RFC 5425): our certificate, anonymous
// clients (the audit sink authenticates the server, not the other way round).
struct RsyslogTls {
  std::string ca_file, cert_file, key_file;
};

// Our own rsyslog instance (same binary as the service), so stopping it disturbs no other test.
class OwnRsyslog {
 public:
  OwnRsyslog(const std::string& bin, const std::string& dir, uint16_t port,
             const RsyslogTls* tls = nullptr)
      : bin_(bin), dir_(dir), port_(port) {
    std::filesystem::create_directories(dir + "/work");
    std::ofstream conf(dir + "/rsyslog.conf");
    conf << "global(workDirectory=\"" << dir << "/work\" maxMessageSize=\"64k\"";
    if (tls != nullptr) {
      conf << " DefaultNetstreamDriver=\"gtls\" DefaultNetstreamDriverCAFile=\"" << tls->ca_file
           << "\" DefaultNetstreamDriverCertFile=\"" << tls->cert_file
           << "\" DefaultNetstreamDriverKeyFile=\"" << tls->key_file << "\"";
    }
    conf << ")\n";
    if (tls != nullptr) {
      conf << "module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" "
              "StreamDriver.AuthMode=\"anon\")\n";
    } else {
      conf << "module(load=\"imtcp\")\n";
    }
    conf << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << port << "\")\n"
         << "template(name=\"m\" type=\"string\" string=\"%msg%\\n\")\n"
         << "action(type=\"omfile\" file=\"" << dir << "/out\" template=\"m\")\n";
  }
  bool Start() {
    std::string cmd = bin_ + " -f " + dir_ + "/rsyslog.conf -i " + dir_ + "/pid";
    if (system(cmd.c_str()) != 0) return false;
    for (int i = 0; i < 100; ++i) {
      if (std::filesystem::exists(dir_ + "/pid") && std::filesystem::file_size(dir_ + "/pid") > 0)
        return true;
      usleep(20000);
    }
    return false;
  }
  void Stop() {
    std::string pid = ReadAll(dir_ + "/pid");
    if (!pid.empty()) kill(std::stoi(pid), SIGTERM);
    for (int i = 0; i < 200 && std::filesystem::exists(dir_ + "/pid"); ++i) usleep(20000);
    std::filesystem::remove(dir_ + "/pid");
  }
  ~OwnRsyslog() { Stop(); }
  std::string Output() { return ReadAll(dir_ + "/out"); }

 private:
  std::string bin_, dir_;
  uint16_t port_;
};

}  // namespace portcullis::audit::testing
