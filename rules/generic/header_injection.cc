#include "rules/generic/header_injection.h"

#include <array>

namespace portcullis::rules {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool istarts_with(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (lower(s[i]) != p[i]) return false;
  }
  return true;
}

// RFC 9110 sec. 5.6.2 token characters.
bool is_tchar(char c) {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  return v;
}

// Value shapes (RFC 9110/6265 field syntax) that make a line an injected header.
bool looks_like_url(std::string_view v) {
  if (v.starts_with("//") || v.starts_with("/\\")) return true;
  size_t i = 0;
  while (i < v.size() &&
         (is_alpha(v[i]) || is_digit(v[i]) || v[i] == '+' || v[i] == '-' || v[i] == '.')) {
    ++i;
  }
  return i > 1 && i + 1 < v.size() && v[i] == ':' && (v[i + 1] == '/' || v[i + 1] == '\\');
}

bool has_cookie_pair(std::string_view v) {
  size_t i = 0;
  while (i < v.size() && is_tchar(v[i]) && v[i] != '=') ++i;
  return i > 0 && i < v.size() && v[i] == '=';
}

bool all_digits(std::string_view v) {
  size_t i = 0;
  while (i < v.size() && is_digit(v[i])) ++i;
  return i > 0 && (i == v.size() || v[i] == '\r' || v[i] == '\n' || v[i] == ' ' || v[i] == ';');
}

bool media_type(std::string_view v) {  // type "/" subtype
  size_t i = 0;
  while (i < v.size() && is_tchar(v[i])) ++i;
  if (i == 0 || i >= v.size() || v[i] != '/') return false;
  return i + 1 < v.size() && is_tchar(v[i + 1]);
}

enum class Shape : uint8_t { kAny, kUrl, kCookie, kDigits, kMediaType, kRefresh };

struct Field {
  std::string_view name;  // lower case
  Shape shape;
};

// Fields an attacker sets when splitting a response: session fixation (Set-Cookie), redirects
// (Location, Refresh), body smuggling (Content-Length, Content-Type, Transfer-Encoding), and
// policy downgrades (CORS, CSP, X-XSS-Protection). Names with an everyday meaning need a value of
// the field's syntax.
constexpr std::array<Field, 12> kFields = {{
    {"set-cookie", Shape::kCookie},
    {"set-cookie2", Shape::kCookie},
    {"location", Shape::kUrl},
    {"refresh", Shape::kRefresh},
    {"content-length", Shape::kDigits},
    {"content-type", Shape::kMediaType},
    {"transfer-encoding", Shape::kAny},
    {"access-control-allow-origin", Shape::kAny},
    {"access-control-allow-credentials", Shape::kAny},
    {"content-security-policy", Shape::kAny},
    {"x-xss-protection", Shape::kDigits},
    {"x-forwarded-host", Shape::kAny},
}};

bool value_matches(Shape s, std::string_view v) {
  switch (s) {
    case Shape::kAny:
      return !v.empty() && v.front() != '\r' && v.front() != '\n';
    case Shape::kUrl:
      return looks_like_url(v);
    case Shape::kCookie:
      return has_cookie_pair(v);
    case Shape::kDigits:
      return all_digits(v);
    case Shape::kMediaType:
      return media_type(v);
    case Shape::kRefresh: {  // "0; url=..."
      size_t i = 0;
      while (i < v.size() && is_digit(v[i])) ++i;
      return i > 0 && i < v.size() && (v[i] == ';' || v[i] == ',');
    }
  }
  return false;
}

// The line that starts at `line` (just after a CR or LF) forms a header or a status line.
std::optional<Finding> check_line(std::string_view line) {
  // A status line starts a second response (RFC 9112 sec. 4): "HTTP/1.1 200".
  if (line.size() >= 12 && line.starts_with("HTTP/") && is_digit(line[5]) && line[6] == '.' &&
      is_digit(line[7]) && line[8] == ' ' && is_digit(line[9]) && is_digit(line[10]) &&
      is_digit(line[11])) {
    return make_finding(Detector::kGeneric, "header", "status line after line break", "CRLF HTTP/");
  }
  size_t colon = 0;
  while (colon < line.size() && colon < 40 && is_tchar(line[colon])) ++colon;
  if (colon == 0 || colon >= line.size() || line[colon] != ':') return std::nullopt;
  std::string_view name = line.substr(0, colon);
  std::string_view value = trim_ows(line.substr(colon + 1));
  for (const Field& f : kFields) {
    if (name.size() == f.name.size() && istarts_with(name, f.name) &&
        value_matches(f.shape, value)) {
      return make_finding(Detector::kGeneric, "header", "header field after line break",
                          "CRLF field:");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Finding> detect_header_injection(std::string_view in) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\r' && in[i] != '\n') continue;
    size_t j = i + 1;
    while (j < in.size() && (in[j] == '\r' || in[j] == '\n')) ++j;
    // Obsolete line folding and sloppy parsers: leading whitespace before the name is skipped.
    while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
    if (auto f = check_line(in.substr(j))) return f;
    i = j - 1;
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
