#include "rules/ssrf/ssrf_detector.h"

#include "rules/ssrf/host_classifier.h"

namespace portcullis::rules {
namespace {

using ssrf::classify_host;
using ssrf::HostMode;
using ssrf::HostVerdict;

constexpr size_t kMaxSchemeLength = 32;
constexpr int kMaxAtCandidates = 8;
constexpr int kMaxEmbeddedUrls = 64;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_scheme_char(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == '\0'; }
bool is_slash(char c) { return c == '/' || c == '\\'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

template <size_t N>
bool in_list(std::string_view scheme, const std::string_view (&list)[N]) {
  for (std::string_view e : list) {
    if (iequals(scheme, e)) return true;
  }
  return false;
}

// URL Standard special schemes that have a host even without "//" (http:localhost).
constexpr std::string_view kSpecialSchemes[] = {"http", "https", "ws", "wss", "ftp"};

// Schemes that turn an HTTP-client SSRF into talking raw TCP or reading local files: gopher and
// dict carry arbitrary bytes to Redis/memcached/FastCGI/SMTP, file/netdoc/local_file read the
// server's disk (Java URL handlers), jar fetches and unpacks remote archives, tftp is UDP.
constexpr std::string_view kSmugglingSchemes[] = {"gopher", "dict",       "file", "netdoc",
                                                  "jar",    "local_file", "tftp"};

// Characters that end an authority: URL Standard delimiters for special schemes, plus those that
// cannot be in a URL embedded in text (whitespace, quotes, angle brackets).
bool ends_authority(char c) {
  return c == '/' || c == '?' || c == '#' || c == '\\' || is_space(c) || c == '"' || c == '\'' ||
         c == '<' || c == '>' || c == '`' || c == '{' || c == '}' || c == '|' || c == '^';
}

std::optional<Finding> make_finding(std::string_view context, std::string_view reason,
                                    std::string_view fingerprint) {
  Finding f;
  f.detector = Detector::kSsrf;
  f.context = context;
  f.reason = reason;
  f.set_fingerprint(fingerprint);
  return f;
}

std::optional<Finding> judge(std::string_view host_port, HostMode mode, std::string_view context,
                             HostVerdict& v) {
  if (host_port.empty() || !classify_host(host_port, mode, v)) return std::nullopt;
  return make_finding(context, v.reason, v.host);
}

// Checks the URL whose scheme is `scheme` and whose text after "scheme:" is `rest`. `whole` is
// true when the URL is the entire input: then it also owns any trailing text, and alternative
// parser readings of the authority are tried.
std::optional<Finding> check_url(std::string_view scheme, std::string_view rest, bool whole,
                                 HostVerdict& v) {
  size_t slashes = 0;
  while (slashes < rest.size() && is_slash(rest[slashes])) ++slashes;
  bool special = in_list(scheme, kSpecialSchemes);

  if (in_list(scheme, kSmugglingSchemes)) {
    // "file:" needs a path after it and the others an authority or path, so that prose such as
    // "dict: a book of words" stays quiet; a whole-input "jar:http://..." is always a URL.
    bool url_shaped = slashes >= 1 || (whole && !rest.empty() && !is_space(rest[0]));
    if (url_shaped)
      return make_finding("scheme", "request-smuggling or local-file URL scheme", scheme);
  }
  if (!special && slashes < 2) return std::nullopt;  // no authority: "mailto:", "urn:", prose

  std::string_view after = rest.substr(slashes);
  size_t end = 0;
  while (end < after.size() && !ends_authority(after[end])) ++end;
  std::string_view authority = after.substr(0, end);
  // URL Standard: the userinfo ends at the last '@' of the authority.
  size_t at = authority.rfind('@');
  std::string_view host_port = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (auto f = judge(host_port, HostMode::kUrl, "url", v)) return f;
  if (!whole) return std::nullopt;

  // Parser differentials (Orange Tsai, "A New Era of SSRF", 2017): other clients end the
  // authority only at '/', take the host after the first or any '@', or drop backslashes. The
  // region is the text up to the first '/'.
  size_t region_end = 0;
  while (region_end < after.size() && after[region_end] != '/') ++region_end;
  std::string_view region = after.substr(0, region_end);
  int tries = 0;
  for (size_t i = region.find('@'); i != std::string_view::npos && tries < kMaxAtCandidates;
       i = region.find('@', i + 1), ++tries) {
    size_t s = i + 1;
    size_t e = s;
    while (e < region.size() && region[e] != '@' && region[e] != '?' && region[e] != '#' &&
           region[e] != '\\' && !is_space(region[e])) {
      ++e;
    }
    if (auto f = judge(region.substr(s, e - s), HostMode::kUrl, "url", v)) return f;
  }
  if (region.find('\\') != std::string_view::npos && region.size() <= ssrf::kMaxHostBytes) {
    char stripped[ssrf::kMaxHostBytes];
    size_t n = 0;
    for (char c : region) {
      if (c == '?' || c == '#' || is_space(c)) break;
      if (c != '\\') stripped[n++] = c;
    }
    std::string_view sv(stripped, n);
    size_t at2 = sv.rfind('@');
    if (at2 != std::string_view::npos) sv = sv.substr(at2 + 1);
    if (auto f = judge(sv, HostMode::kUrl, "url", v)) return f;
  }
  return std::nullopt;
}

// The scheme ending right before s[colon], or empty.
std::string_view scheme_before(std::string_view s, size_t colon) {
  size_t start = colon;
  while (start > 0 && colon - start < kMaxSchemeLength && is_scheme_char(s[start - 1])) --start;
  while (start < colon && !is_alpha(s[start])) ++start;      // a scheme starts with a letter
  if (start > 0 && is_scheme_char(s[start - 1])) return {};  // too long to be a scheme
  return s.substr(start, colon - start);
}

std::string_view trim(std::string_view s) {
  // URL Standard: strip leading and trailing C0 control or space.
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  return s;
}

std::optional<Finding> check_whole_input(std::string_view s, HostVerdict& v) {
  // Scheme-relative "//host/..." (and its backslash twins, which WHATWG treats alike).
  if (s.size() >= 2 && is_slash(s[0]) && is_slash(s[1])) {
    return check_url("http", s, /*whole=*/true, v);
  }
  size_t colon = s.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    std::string_view scheme = scheme_before(s, colon);
    if (scheme.size() == colon) {  // the input starts with "scheme:"
      std::string_view rest = s.substr(colon + 1);
      bool has_authority = rest.size() >= 2 && is_slash(rest[0]) && is_slash(rest[1]);
      if (has_authority || in_list(scheme, kSpecialSchemes) || in_list(scheme, kSmugglingSchemes)) {
        return check_url(scheme, rest, /*whole=*/true, v);
      }
    }
  }
  // A bare host: "localhost", "127.0.0.1:8080", "[::1]/admin", "host.docker.internal/".
  size_t end = 0;
  while (end < s.size() && s[end] != '/' && s[end] != '?' && s[end] != '#' && s[end] != '\\') {
    ++end;
  }
  std::string_view authority = s.substr(0, end);
  for (char c : authority) {
    if (is_space(c) || c == '@' || c == '"' || c == '\'' || c == '<' || c == '>') {
      return std::nullopt;
    }
  }
  return judge(authority, HostMode::kBare, "host", v);
}

}  // namespace

std::optional<Finding> detect_ssrf(std::string_view decoded) {
  std::string_view s = trim(decoded);
  if (s.size() < 2) return std::nullopt;
  HostVerdict v;
  if (auto f = check_whole_input(s, v)) return f;

  // URLs inside a larger text (XML attributes, JSON strings, multipart headers, redirect chains
  // such as https://redirector/?url=http://localhost).
  int urls = 0;
  for (size_t colon = s.find(':', 1); colon != std::string_view::npos && urls < kMaxEmbeddedUrls;
       colon = s.find(':', colon + 1)) {
    std::string_view scheme = scheme_before(s, colon);
    if (scheme.empty()) continue;
    size_t start = colon - scheme.size();
    if (start == 0) continue;  // the whole-input check already handled it
    std::string_view rest = s.substr(colon + 1);
    bool has_authority = rest.size() >= 2 && is_slash(rest[0]) && is_slash(rest[1]);
    bool special_no_slash = in_list(scheme, kSpecialSchemes) && !rest.empty() &&
                            !is_space(rest[0]) && !is_slash(rest[0]) &&
                            !is_scheme_char(s[start - 1]);
    bool smuggling = in_list(scheme, kSmugglingSchemes) && !rest.empty() && is_slash(rest[0]);
    if (!has_authority && !special_no_slash && !smuggling) continue;
    ++urls;
    if (auto f = check_url(scheme, rest, /*whole=*/false, v)) return f;
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
