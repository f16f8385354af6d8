#include "proxy/server/forwarding.h"

#include <charconv>

#include "proxy/http/tokens.h"

namespace portcullis::server {
namespace {

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

// True if `name` is listed as a connection option in any Connection header (RFC 9110 7.6.1).
bool named_in_connection(const http::Header* headers, uint32_t n, std::string_view name) {
  for (uint32_t i = 0; i < n; ++i) {
    if (http::iequals(headers[i].name, "connection") && http::has_token(headers[i].value, name)) {
      return true;
    }
  }
  return false;
}

bool has_connection_header(const http::Header* headers, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (http::iequals(headers[i].name, "connection")) return true;
  }
  return false;
}

bool has_header(const http::ResponseHead& h, std::string_view name) {
  for (uint32_t i = 0; i < h.num_headers; ++i) {
    if (http::iequals(h.headers[i].name, name)) return true;
  }
  return false;
}

// Removed by a response stage, or replaced by one of its overriding additions.
bool edited_away(const pipeline::ResponseEdits& e, std::string_view name) {
  for (size_t i = 0; i < e.num_remove; ++i) {
    if (http::iequals(name, e.remove[i])) return true;
  }
  for (size_t i = 0; i < e.num_add; ++i) {
    if (e.add[i].override_origin && http::iequals(name, e.add[i].name)) return true;
  }
  return false;
}

}  // namespace

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::string_view kHop[] = {"connection",
                                              "keep-alive",
                                              "proxy-connection",
                                              "te",
                                              "trailer",
                                              "transfer-encoding",
                                              "upgrade",
                                              "proxy-authorization",
                                              "proxy-authenticate",
                                              "content-length",
                                              "expect"};
  for (std::string_view h : kHop) {
    if (http::iequals(name, h)) return true;
  }
  return false;
}

void serialize_request_head(const http::RequestHead& h, const ForwardRequestInfo& info,
                            std::string& out) {
  out.append(h.method);
  out.push_back(' ');
  out.append(h.target);
  out.append(" HTTP/1.1\r\n");
  bool check_connection = has_connection_header(h.headers, h.num_headers);
  std::string_view upgrade_value;
  bool xff_written = false;
  for (uint32_t i = 0; i < h.num_headers; ++i) {
    const http::Header& hd = h.headers[i];
    if (http::iequals(hd.name, "upgrade")) upgrade_value = hd.value;
    if (is_hop_by_hop(hd.name)) continue;
    if (http::iequals(hd.name, "x-request-id") || http::iequals(hd.name, "x-forwarded-proto")) {
      continue;  // regenerated below
    }
    if (check_connection && named_in_connection(h.headers, h.num_headers, hd.name)) continue;
    bool stripped = false;
    for (size_t k = 0; k < info.num_strip && !stripped; ++k) {
      stripped = http::iequals(hd.name, info.strip[k]);
    }
    if (stripped) continue;
    if (http::iequals(hd.name, "x-forwarded-for")) {
      if (xff_written) continue;
      // Merge every X-Forwarded-For line into one list and append the client (RFC 7239 style).
      out.append("X-Forwarded-For: ");
      bool first = true;
      for (uint32_t j = i; j < h.num_headers; ++j) {
        if (!http::iequals(h.headers[j].name, "x-forwarded-for") || h.headers[j].value.empty()) {
          continue;
        }
        if (!first) out.append(", ");
        out.append(h.headers[j].value);
        first = false;
      }
      if (!first) out.append(", ");
      out.append(info.client_ip);
      out.append("\r\n");
      xff_written = true;
      continue;
    }
    append_header(out, hd.name, hd.value);
  }
  if (!xff_written) append_header(out, "X-Forwarded-For", info.client_ip);
  append_header(out, "X-Forwarded-Proto", info.tls ? "https" : "http");
  append_header(out, "X-Request-Id", info.request_id);
  if (info.upgrade && !upgrade_value.empty()) {
    append_header(out, "Connection", "upgrade");
    append_header(out, "Upgrade", upgrade_value);
  }
  if (info.has_override_length) {
    out.append("Content-Length: ");
    append_uint(out, info.override_length);
    out.append("\r\n");
  } else if (info.chunked_body) {
    append_header(out, "Transfer-Encoding", "chunked");
  } else if (h.framing == http::BodyFraming::kContentLength) {
    out.append("Content-Length: ");
    append_uint(out, h.content_length);
    out.append("\r\n");
  }
  out.append("\r\n");
}

void serialize_response_head(const http::ResponseHead& h, const ForwardResponseInfo& info,
                             std::string& out) {
  out.append("HTTP/1.1 ");
  append_uint(out, h.status);
  out.push_back(' ');
  out.append(h.reason.empty() ? status_reason(h.status) : h.reason);
  out.append("\r\n");
  bool check_connection = has_connection_header(h.headers, h.num_headers);
  bool is_101 = h.status == 101;
  for (uint32_t i = 0; i < h.num_headers; ++i) {
    const http::Header& hd = h.headers[i];
    if (is_101 && (http::iequals(hd.name, "upgrade") || http::iequals(hd.name, "connection"))) {
      append_header(out, hd.name, hd.value);  // the switch itself must reach the client
      continue;
    }
    if (http::iequals(hd.name, "content-length") && h.framing == http::BodyFraming::kNone) {
      // HEAD and 304 responses keep the origin's Content-Length: it describes the entity.
      if (h.status != 204 && !(h.status >= 100 && h.status < 200))
        append_header(out, hd.name, hd.value);
      continue;
    }
    if (is_hop_by_hop(hd.name)) continue;
    if (http::iequals(hd.name, "x-request-id")) continue;
    if (check_connection && named_in_connection(h.headers, h.num_headers, hd.name)) continue;
    if (info.edits != nullptr && edited_away(*info.edits, hd.name)) continue;
    append_header(out, hd.name, hd.value);
  }
  if (info.edits != nullptr) {
    for (size_t i = 0; i < info.edits->num_add; ++i) {
      const auto& a = info.edits->add[i];
      // The origin's own value wins unless the stage overrides it.
      if (!a.override_origin && has_header(h, a.name)) continue;
      append_header(out, a.name, a.value);
    }
  }
  if (!info.request_id.empty()) append_header(out, "X-Request-Id", info.request_id);
  if (!is_101 && h.status >= 200) {
    if (h.framing == http::BodyFraming::kContentLength) {
      out.append("Content-Length: ");
      append_uint(out, h.content_length);
      out.append("\r\n");
    } else if (info.chunked_to_client) {
      append_header(out, "Transfer-Encoding", "chunked");
    }
    if (info.close) append_header(out, "Connection", "close");
  }
  out.append("\r\n");
}

std::string_view status_reason(uint16_t status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void serialize_local_response(uint16_t status, std::string_view body, std::string_view request_id,
                              bool close, std::string& out, std::string_view extra_headers) {
  out.append("HTTP/1.1 ");
  append_uint(out, status);
  out.push_back(' ');
  out.append(status_reason(status));
  out.append("\r\nServer: portcullis\r\nContent-Type: text/plain; charset=utf-8\r\n");
  out.append("Cache-Control: no-store\r\n");
  if (!request_id.empty()) append_header(out, "X-Request-Id", request_id);
  out.append(extra_headers);
  if (close) out.append("Connection: close\r\n");
  out.append("Content-Length: ");
  append_uint(out, body.size());
  out.append("\r\n\r\n");
  out.append(body);
}

}  // namespace portcullis::server
