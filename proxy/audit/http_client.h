// A minimal HTTP/1.1 client for the HTTP and webhook sinks: one POST per connection
// ("Connection: close"), Content-Length framing, status line parsed, body bounded to 64 KiB.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/audit/transport.h"
#include "rules/base/result.h"

namespace portcullis::audit {

struct Url {
  bool tls = false;
  std::string host;
  uint16_t port = 80;
  std::string path = "/";
};
Result<Url> parse_url(std::string_view text);

struct HttpReply {
  int status = 0;
  std::string body;
};

// headers: full lines without CRLF, e.g. "Content-Type: application/x-ndjson".
Result<HttpReply> http_post(const Url& url, const std::vector<std::string>& headers,
                            std::string_view body, const TlsOptions& tls,
                            std::chrono::milliseconds timeout);

// gzip (RFC 1952) of `in`, appended to `out`.
Status gzip_compress(std::string_view in, std::string& out);

}  // namespace portcullis::audit
