#include "rules/generic/open_redirect.h"

#include "rules/ssrf/ip_address.h"

namespace portcullis::rules {
namespace {

constexpr size_t kMaxUrl = 512;  // a redirect target longer than this is judged on its prefix

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_slash(char c) { return c == '/' || c == '\\'; }
bool is_host_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Authority ends at the first '/', '\', '?' or '#' (WHATWG "authority state" for special URLs).
std::string_view authority_of(std::string_view s) {
  size_t e = 0;
  while (e < s.size() && !is_slash(s[e]) && s[e] != '?' && s[e] != '#') ++e;
  return s.substr(0, e);
}

// A dotted DNS name whose last label is alphabetic (a TLD), e.g. "evil.example", "a.b.co".
bool is_domain(std::string_view h) {
  if (h.size() < 4 || h.size() > 253 || h.front() == '.' || h.front() == '-') return false;
  size_t dot = std::string_view::npos;
  for (size_t i = 0; i < h.size(); ++i) {
    if (!is_host_char(h[i])) return false;
    if (h[i] == '.' && i + 1 < h.size()) dot = i;
  }
  if (dot == std::string_view::npos) return false;
  std::string_view tld = h.substr(dot + 1);
  if (!tld.empty() && tld.back() == '.') tld.remove_suffix(1);  // FQDN trailing dot
  if (tld.size() < 2) return false;
  for (char c : tld) {
    if (!is_alpha(c) && static_cast<unsigned char>(c) < 0x80) return false;
  }
  return true;
}

// Canonical dotted quad: four decimal parts 0-255 without leading zeros.
bool is_canonical_ipv4(std::string_view h) {
  int parts = 0;
  size_t i = 0;
  while (i <= h.size()) {
    size_t s = i;
    while (i < h.size() && is_digit(h[i])) ++i;
    size_t len = i - s;
    if (len == 0 || len > 3 || (len > 1 && h[s] == '0')) return false;
    int v = 0;
    for (size_t k = s; k < i; ++k) v = v * 10 + (h[k] - '0');
    if (v > 255) return false;
    ++parts;
    if (i == h.size()) break;
    if (h[i] != '.') return false;
    ++i;
  }
  return parts == 4;
}

// Splits "user@host:port" and returns the host; sets `userinfo`.
std::string_view host_of(std::string_view authority, std::string_view& userinfo) {
  size_t at = authority.rfind('@');
  userinfo = at == std::string_view::npos ? std::string_view() : authority.substr(0, at);
  std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.find(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool is_ip_host(std::string_view h) {
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') return true;
  return ssrf::parse_ipv4_whatwg(h).kind == ssrf::Ipv4Parse::Kind::kIpv4;
}

// Judges the authority of a URL that a client will resolve to a host.
std::optional<Finding> check_authority(std::string_view authority, bool exact_separator) {
  std::string_view userinfo;
  std::string_view host = host_of(authority, userinfo);
  const bool hostlike = is_domain(host) || is_ip_host(host);
  if (!exact_separator) {
    if (!hostlike) return std::nullopt;
    return make_finding(Detector::kGeneric, "redirect", "special scheme without its // separator",
                        "http:x");
  }
  // `https://trusted.example@evil.example`: the part before '@' is credentials, not the host.
  if (!userinfo.empty() && userinfo.find(':') == std::string_view::npos && is_domain(userinfo) &&
      hostlike) {
    return make_finding(Detector::kGeneric, "redirect", "userinfo spelling a host", "http://a.b@c");
  }
  auto ip = ssrf::parse_ipv4_whatwg(host);
  if ((ip.kind == ssrf::Ipv4Parse::Kind::kIpv4 || ip.kind == ssrf::Ipv4Parse::Kind::kOverflow) &&
      !is_canonical_ipv4(host)) {
    return make_finding(Detector::kGeneric, "redirect", "IPv4 host in a legacy spelling",
                        "http://0x..");
  }
  return std::nullopt;
}

}  // namespace

std::optional<Finding> detect_open_redirect(std::string_view in) {
  // WHATWG URL parsing strips leading C0 controls and spaces and removes every tab, CR and LF.
  char buf[kMaxUrl];
  size_t n = 0;
  size_t i = 0;
  while (i < in.size() && static_cast<unsigned char>(in[i]) <= 0x20) ++i;
  // Only two shapes can fire: a leading '/' or '\\', or a scheme of 1-8 letters and ':'. Most
  // inputs fail on their first bytes, so look at that prefix (tab/CR/LF skipped, as below) before
  // copying anything.
  {
    size_t k = i, letters = 0;
    for (; k < in.size(); ++k) {
      const char c = in[k];
      if (c == '\t' || c == '\r' || c == '\n') continue;
      if (letters == 0 && is_slash(c)) break;
      if (is_alpha(c) && letters < 8) {
        ++letters;
        continue;
      }
      if (c == ':' && letters > 0) break;
      return std::nullopt;
    }
    if (k == in.size()) return std::nullopt;
  }
  for (; i < in.size() && n < kMaxUrl; ++i) {
    if (in[i] == '\t' || in[i] == '\r' || in[i] == '\n') continue;
    if (in[i] == ' ') break;  // a URL ends at a space; prose after it is not part of the target
    buf[n++] = in[i];
  }
  std::string_view s(buf, n);
  if (s.size() < 4) return std::nullopt;

  // Scheme-relative: `//host`, `/\host`, `\\host`, `///host` ...
  if (is_slash(s[0]) && is_slash(s[1])) {
    size_t k = 2;
    while (k < s.size() && is_slash(s[k])) ++k;
    std::string_view userinfo;
    std::string_view host = host_of(authority_of(s.substr(k)), userinfo);
    // `//host` with a domain or an IP: what `Location: //host` sends a browser to.
    if (is_domain(host) || is_ip_host(host)) {
      return make_finding(Detector::kGeneric, "redirect", "scheme-relative URL to a host",
                          "//host");
    }
    return std::nullopt;
  }

  // http: / https: (and ws:, ftp: share the special-scheme parsing).
  size_t colon = 0;
  while (colon < s.size() && colon < 8 && is_alpha(s[colon])) ++colon;
  if (colon == 0 || colon >= s.size() || s[colon] != ':') return std::nullopt;
  char scheme[8];
  for (size_t k = 0; k < colon; ++k) scheme[k] = lower(s[k]);
  std::string_view sch(scheme, colon);
  if (sch != "http" && sch != "https" && sch != "ws" && sch != "wss" && sch != "ftp") {
    return std::nullopt;
  }
  std::string_view rest = s.substr(colon + 1);
  size_t slashes = 0;
  while (slashes < rest.size() && is_slash(rest[slashes])) ++slashes;
  const bool exact = slashes == 2 && rest[0] == '/' && rest[1] == '/';
  if (!exact && slashes == 0 && (rest.empty() || !is_host_char(rest[0]))) return std::nullopt;
  return check_authority(authority_of(rest.substr(slashes)), exact);
}

}  // namespace portcullis::rules
