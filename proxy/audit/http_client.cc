#include "proxy/audit/http_client.h"

#include <zlib.h>

#include <cstdlib>

namespace portcullis::audit {

Result<Url> parse_url(std::string_view t) {
  Url u;
  if (t.rfind("https://", 0) == 0) {
    u.tls = true;
    u.port = 443;
    t.remove_prefix(8);
  } else if (t.rfind("http://", 0) == 0) {
    t.remove_prefix(7);
  } else {
    return make_error("URL must start with http:// or https://");
  }
  size_t slash = t.find('/');
  std::string_view authority = t.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(t.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return make_error("URL needs a host (and no user info)");
  }
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    std::string port(authority.substr(colon + 1));
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < 1 || p > 65535) return make_error("bad port in URL");
    u.port = static_cast<uint16_t>(p);
    authority = authority.substr(0, colon);
  }
  if (!authority.empty() && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  u.host = std::string(authority);
  return u;
}

Result<HttpReply> http_post(const Url& url, const std::vector<std::string>& headers,
                            std::string_view body, const TlsOptions& tls_in,
                            std::chrono::milliseconds timeout) {
  TlsOptions tls = tls_in;
  tls.enabled = url.tls;
  auto conn = Transport::connect(url.host, url.port, tls, timeout);
  if (!conn) return conn.error();
  std::string req = "POST " + url.path + " HTTP/1.1\r\nHost: " + url.host;
  if (url.port != (url.tls ? 443 : 80)) req += ":" + std::to_string(url.port);
  req += "\r\nUser-Agent: portcullis-audit\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n";
  for (const std::string& h : headers) req += h + "\r\n";
  req += "\r\n";
  Status s = conn.value()->write_all(req);
  if (s) s = conn.value()->write_all(body);
  if (!s) return s.error();
  std::string resp;
  char buf[8192];
  size_t head_end = std::string::npos;
  size_t want = std::string::npos;
  while (resp.size() < (64u << 10)) {
    auto n = conn.value()->read_some(buf, sizeof(buf));
    if (!n) return n.error();
    if (n.value() == 0) break;
    resp.append(buf, n.value());
    if (head_end == std::string::npos) {
      head_end = resp.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        // Content-Length, case-insensitively.
        std::string lower = resp.substr(0, head_end);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t cl = lower.find("\r\ncontent-length:");
        if (cl != std::string::npos)
          want = head_end + 4 + std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
      }
    }
    if (want != std::string::npos && resp.size() >= want) break;
  }
  if (resp.rfind("HTTP/1.", 0) != 0 || resp.size() < 12) return make_error("bad HTTP response");
  HttpReply r;
  r.status = std::atoi(resp.c_str() + 9);
  if (head_end != std::string::npos) r.body = resp.substr(head_end + 4);
  return r;
}

Status gzip_compress(std::string_view in, std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return make_error("deflateInit2 failed");
  }
  size_t start = out.size();
  out.resize(start + deflateBound(&z, static_cast<uLong>(in.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data() + start);
  z.avail_out = static_cast<uInt>(out.size() - start);
  int rc = deflate(&z, Z_FINISH);
  out.resize(start + z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? Status::Ok() : Status(make_error("gzip failed"));
}

}  // namespace portcullis::audit
