// Raw-socket HTTP/1.1 client helpers for integration tests: tests send exact bytes and read exact
// responses, so they can assert framing, not just status codes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::testing {

// Connects to 127.0.0.1:port (optionally binding the source address first, e.g. "127.0.0.2").
// Returns -1 on failure. Blocking socket with TCP_NODELAY.
int ConnectTcp(uint16_t port, const char* source_ip = nullptr);
bool SendAll(int fd, std::string_view data);

struct HttpResponse {
  int status = 0;
  std::string head;                            // status line + headers, raw
  std::map<std::string, std::string> headers;  // lowercase name -> last value
  std::string body;                            // de-chunked
  bool chunked = false;
};

// Reads one response (handles 1xx interim responses by returning them as-is, Content-Length,
// chunked and close-delimited bodies). nullopt on timeout or a connection closed mid-head.
std::optional<HttpResponse> ReadResponse(int fd, int timeout_ms = 5000, bool head_request = false);

// True when the peer closes the connection (EOF or reset) within timeout_ms; bytes that arrive
// first are discarded.
bool WaitClosed(int fd, int timeout_ms = 5000);

// One request on a fresh connection; the connection is closed afterwards.
std::optional<HttpResponse> Fetch(uint16_t port, std::string_view raw_request,
                                  int timeout_ms = 5000);

// "GET <target> HTTP/1.1" with Host and optional extra header lines (each ending in \r\n).
std::string Get(std::string_view target, std::string_view extra_headers = "");

}  // namespace portcullis::testing
