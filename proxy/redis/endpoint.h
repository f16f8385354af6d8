// Endpoint: where a Redis server is and how to log in, parsed from a redis:// or rediss:// URL.
//   redis[s]://[[user]:password@]host[:port][/db]
// host is an IP literal, "localhost" or a DNS name; a name is resolved ONCE when the endpoint is
// parsed (at config load, on the main thread) so no blocking getaddrinfo() ever runs on a worker's
// event loop at a reconnect. rediss:// is TLS (the client verifies the server certificate against
// tls.ca_file, or the system store, and checks the URL's host name or IP against it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rules/base/result.h"

namespace portcullis::redis {

// TLS settings of a rediss:// endpoint (rate_limit.redis.tls). Part of Endpoint so a reload that
// changes a file name replaces the connection.
struct TlsOptions {
  std::string ca_file;      // PEM CA bundle; "" = the system store
  std::string cert_file;    // client certificate chain (PEM) for mutual TLS; "" = none
  std::string key_file;     // its private key (PEM)
  std::string server_name;  // name checked against the certificate; "" = the URL's host
  bool verify = true;       // false: no certificate check at all (tests only; logged at load)
  bool operator==(const TlsOptions&) const = default;
};

struct Endpoint {
  std::string host;      // numeric address after resolution
  std::string url_host;  // the host as written in the URL (TLS name check and SNI)
  bool tls = false;      // rediss://
  TlsOptions tls_options;
  uint16_t port = 6379;
  std::string user;      // Redis 6 ACL user ("" = AUTH <password>)
  std::string password;  // "" = no AUTH
  uint32_t db = 0;

  // "host:port/db" (+ " tls") without credentials (safe for logs).
  std::string to_string() const;
  bool operator==(const Endpoint&) const = default;
};

// Percent-decoding is applied to the user and the password (RFC 3986 userinfo).
Result<Endpoint> parse_url(std::string_view url);

}  // namespace portcullis::redis
