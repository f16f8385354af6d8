#include "proxy/redis/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

namespace portcullis::redis {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) {
      return make_error("bad %-escape in the URL credentials");
    }
    out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
    i += 2;
  }
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Result<std::string> resolve(const std::string& host) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    return host;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    return make_error("cannot resolve Redis host '" + host + "': " + gai_strerror(rc));
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (res->ai_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, text,
              sizeof(text));
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, text, sizeof(text));
  }
  freeaddrinfo(res);
  return std::string(text);
}

}  // namespace

std::string Endpoint::to_string() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port) + "/" + std::to_string(db) + (tls ? " tls" : "");
}

Result<Endpoint> parse_url(std::string_view url) {
  Endpoint ep;
  std::string_view rest;
  if (url.substr(0, 8) == "redis://") {
    rest = url.substr(8);
  } else if (url.substr(0, 9) == "rediss://") {
    rest = url.substr(9);
    ep.tls = true;
  } else {
    return make_error("expected redis[s]://[:password@]host[:port][/db]");
  }
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    size_t colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user.ok()) return user.error();
    ep.user = std::move(user).value();
    if (colon != std::string_view::npos) {
      auto pw = percent_decode(userinfo.substr(colon + 1));
      if (!pw.ok()) return pw.error();
      ep.password = std::move(pw).value();
    } else {
      // redis://password@host is a common shorthand: a lone userinfo is the password.
      ep.password = std::move(ep.user);
      ep.user.clear();
    }
  }
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      if (!all_digits(db)) return make_error("database must be a number");
      ep.db = static_cast<uint32_t>(std::stoul(std::string(db)));
    }
  }
  std::string host;
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return make_error("unterminated [IPv6] host");
    host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error("expected :port after [host]");
      port = after.substr(1);
    }
  } else {
    size_t colon = hostport.rfind(':');
    host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
  }
  if (host.empty()) return make_error("missing host");
  if (!port.empty()) {
    if (!all_digits(port)) return make_error("port must be a number");
    unsigned long p = std::stoul(std::string(port));
    if (p == 0 || p > 65535) return make_error("port must be 1..65535");
    ep.port = static_cast<uint16_t>(p);
  }
  ep.url_host = host;
  if (host == "localhost") host = "127.0.0.1";
  auto resolved = resolve(host);
  if (!resolved.ok()) return resolved.error();
  ep.host = std::move(resolved).value();
  return ep;
}

}  // namespace portcullis::redis
