// Endpoint: where a Redis server is and how to log in, parsed from a redis:// URL.
//   redis://[[user]:password@]host[:port][/db]
// host is an IP literal, "localhost" or a DNS name; a name is resolved ONCE when the endpoint is
// parsed (at config load, on the main thread) because hiredis would resolve it with a blocking
// getaddrinfo() on the worker's event loop at every reconnect.
// rediss:// (TLS) is refused: Debian 12's hiredis 0.14.1 has no TLS support at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rules/base/result.h"

namespace portcullis::redis {

struct Endpoint {
  std::string host;  // numeric address after resolution
  uint16_t port = 6379;
  std::string user;      // Redis 6 ACL user ("" = AUTH <password>)
  std::string password;  // "" = no AUTH
  uint32_t db = 0;

  // "host:port/db" without credentials (safe for logs).
  std::string to_string() const;
  bool operator==(const Endpoint&) const = default;
};

// Percent-decoding is applied to the user and the password (RFC 3986 userinfo).
Result<Endpoint> parse_url(std::string_view url);

}  // namespace portcullis::redis
