#include "rules/ssrf/host_classifier.h"

#include <cstdint>
#include <cstring>
#include <optional>

#include "rules/ssrf/ip_address.h"

namespace portcullis::rules::ssrf {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i. Malformed bytes
// come back as themselves (>= 0x80), which no rule below maps.
uint32_t next_code_point(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (c < 0x80 || extra == 0 || c >= 0xF8 || i + static_cast<size_t>(extra) >= s.size()) {
    ++i;
    return c;
  }
  uint32_t cp = c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((cc & 0xC0) != 0x80) {
      ++i;
      return c;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  i += static_cast<size_t>(extra) + 1;
  return cp;
}

// The subset of UTS #46 / NFKC mapping that turns look-alike characters into the ASCII an
// address or a reserved name is spelled with (acap://①②⑦.⓪.⓪.①, http://169。254。169。254/).
// Writes up to 3 bytes to `m`; returns their count, 0 to drop, -1 for "not mapped".
int map_code_point(uint32_t cp, char* m) {
  if (cp == 0x3002 || cp == 0xFF0E || cp == 0xFF61) {  // ideographic / full-width / halfwidth stop
    m[0] = '.';
    return 1;
  }
  if (cp >= 0xFF01 && cp <= 0xFF5E) {  // full-width ASCII
    m[0] = static_cast<char>(cp - 0xFF01 + 0x21);
    return 1;
  }
  if (cp == 0x24EA || cp == 0x24FF) {  // circled / negative circled digit zero
    m[0] = '0';
    return 1;
  }
  if (cp >= 0x2460 && cp <= 0x2473) {  // circled 1..20
    uint32_t v = cp - 0x2460 + 1;
    if (v < 10) {
      m[0] = static_cast<char>('0' + v);
      return 1;
    }
    m[0] = static_cast<char>('0' + v / 10);
    m[1] = static_cast<char>('0' + v % 10);
    return 2;
  }
  if (cp >= 0x2488 && cp <= 0x249B) {  // digit full stop: "1." .. "20."
    uint32_t v = cp - 0x2488 + 1;
    int k = 0;
    if (v >= 10) m[k++] = static_cast<char>('0' + v / 10);
    m[k++] = static_cast<char>('0' + v % 10);
    m[k++] = '.';
    return k;
  }
  if (cp >= 0x2776 && cp <= 0x277E) {  // dingbat negative circled 1..9
    m[0] = static_cast<char>('1' + (cp - 0x2776));
    return 1;
  }
  if (cp >= 0x24B6 && cp <= 0x24CF) {  // circled capital letters
    m[0] = static_cast<char>('a' + (cp - 0x24B6));
    return 1;
  }
  if (cp >= 0x24D0 && cp <= 0x24E9) {  // circled small letters
    m[0] = static_cast<char>('a' + (cp - 0x24D0));
    return 1;
  }
  if (cp >= 0x1D7CE && cp <= 0x1D7FF) {  // mathematical digits (bold, double-struck, ...)
    m[0] = static_cast<char>('0' + (cp - 0x1D7CE) % 10);
    return 1;
  }
  if (cp >= 0x1D400 && cp <= 0x1D6A3) {  // mathematical alphanumeric letters, 52 per style
    uint32_t v = (cp - 0x1D400) % 52;
    m[0] = static_cast<char>('a' + v % 26);
    return 1;
  }
  // Default-ignorable: soft hyphen, zero-width space/joiners, word joiner, BOM (mapped to nothing).
  if (cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF) return 0;
  return -1;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// `name` equals `domain` or is a subdomain of it.
bool is_domain_or_sub(std::string_view name, std::string_view domain) {
  if (name == domain) return true;
  return name.size() > domain.size() && ends_with(name, domain) &&
         name[name.size() - domain.size() - 1] == '.';
}

template <size_t N>
bool in_list(std::string_view name, const std::string_view (&list)[N]) {
  for (std::string_view e : list) {
    if (name == e) return true;
  }
  return false;
}

// Names that resolve to loopback on common systems (/etc/hosts of Debian, RHEL, Alpine).
constexpr std::string_view kLoopbackNames[] = {
    "localhost",
    "localhost.localdomain",
    "localhost4",
    "localhost4.localdomain4",
    "localhost6",
    "localhost6.localdomain6",
    "ip6-localhost",
    "ip6-loopback",
    "ipv6-localhost",
    "ipv6-loopback",
    "loopback",
    "spoofed.burpcollaborator.net",  // public name answering 127.0.0.1, a classic SSRF probe
};

// Public wildcard DNS names that answer 127.0.0.1 for every subdomain (well known, stable).
constexpr std::string_view kLoopbackWildcardDomains[] = {
    "localtest.me", "lvh.me", "vcap.me", "lacolhost.com", "localh.st",
};

// Special-use / private-use DNS zones that only resolve inside a site: RFC 6761 (.localhost),
// RFC 6762 (.local, mDNS), RFC 8375 (.home.arpa), ICANN's private-use .internal (2024; where
// metadata.google.internal and host.docker.internal live), Kubernetes service names.
constexpr std::string_view kInternalZones[] = {
    "internal", "local", "localdomain", "home.arpa", "svc",
};

// Cloud metadata services reachable by name. Single-label ones are only trusted in URLs.
constexpr std::string_view kMetadataNames[] = {
    "metadata.goog",      "metadata.packet.net",        "metadata.platformequinix.com",
    "kubernetes.default", "instance-data.ec2.internal", "metadata.tencentyun.com",
};
constexpr std::string_view kSingleLabelMetadataNames[] = {"metadata", "instance-data",
                                                          "rancher-metadata"};

// Services that exist to bounce a server-side request to an internal address (DNS rebinding,
// redirect-to-anything). Any URL at them is an SSRF probe.
constexpr std::string_view kRebindingDomains[] = {"rbndr.us", "1u.ms", "r3dir.me",
                                                  "rebind.network"};

// Wildcard DNS that encodes an IP in the name: 10.0.0.1.nip.io, app-10-0-0-1.sslip.io,
// 0a000001.nip.io. Returns the embedded address when there is one.
constexpr std::string_view kIpEmbeddingDomains[] = {"nip.io", "sslip.io", "xip.io", "traefik.me",
                                                    "nip.direct"};

std::string_view classify_ip_embedding_name(std::string_view prefix) {
  // Last four labels as a dotted quad.
  size_t dots = 0;
  size_t start = prefix.size();
  while (start > 0) {
    if (prefix[start - 1] == '.' && ++dots == 4) break;
    --start;
  }
  if (auto a = parse_ipv4_four_parts(prefix.substr(start))) return classify_ipv4(*a);
  // Last label, dashed (10-0-0-1 or app-10-0-0-1) or 8 hex digits.
  size_t dot = prefix.rfind('.');
  std::string_view label = dot == std::string_view::npos ? prefix : prefix.substr(dot + 1);
  if (label.size() > 64) return {};
  char tmp[64];
  size_t dashes = 0;
  size_t from = label.size();
  while (from > 0) {
    if (label[from - 1] == '-' && ++dashes == 4) break;
    --from;
  }
  std::string_view dashed = label.substr(from);
  for (size_t k = 0; k < dashed.size(); ++k) tmp[k] = dashed[k] == '-' ? '.' : dashed[k];
  if (auto a = parse_ipv4_four_parts(std::string_view(tmp, dashed.size()))) {
    return classify_ipv4(*a);
  }
  if (label.size() == 8) {
    uint32_t v = 0;
    for (char c : label) {
      int h = hex_value(c);
      if (h < 0) return {};
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    return classify_ipv4(v);
  }
  return {};
}

std::string_view classify_name(std::string_view name, HostMode mode) {
  if (in_list(name, kLoopbackNames) || ends_with(name, ".localhost")) {
    return "loopback hostname";
  }
  for (std::string_view d : kLoopbackWildcardDomains) {
    if (is_domain_or_sub(name, d)) return "public name resolving to loopback";
  }
  if (in_list(name, kMetadataNames) ||
      (mode == HostMode::kUrl && in_list(name, kSingleLabelMetadataNames))) {
    return "cloud metadata hostname";
  }
  for (std::string_view z : kInternalZones) {
    if (name.size() > z.size() && is_domain_or_sub(name, z)) return "internal-only DNS zone";
  }
  for (std::string_view d : kIpEmbeddingDomains) {
    if (name.size() > d.size() + 1 && is_domain_or_sub(name, d)) {
      std::string_view r = classify_ip_embedding_name(name.substr(0, name.size() - d.size() - 1));
      if (!r.empty()) return r;
    }
  }
  if (mode == HostMode::kUrl) {
    for (std::string_view d : kRebindingDomains) {
      if (is_domain_or_sub(name, d)) return "DNS-rebinding or redirect service";
    }
  }
  return {};
}

std::string_view classify_ipv6_text(std::string_view text, HostMode mode) {
  // RFC 6874 zone id ("fe80::1%25eth0" arrives decoded as "fe80::1%eth0"): curl and many
  // clients accept it, WHATWG does not; the address before it is what gets connected to.
  size_t pct = text.find('%');
  if (pct != std::string_view::npos) text = text.substr(0, pct);
  auto a = parse_ipv6(text);
  if (!a) return {};
  return classify_ipv6(*a);
}

// Four decimal parts, each wrapped modulo 256; only when some part exceeds 255.
std::optional<uint32_t> octets_modulo_256(std::string_view h) {
  uint32_t addr = 0;
  int parts = 0;
  bool wrapped = false;
  size_t i = 0;
  while (parts < 4) {
    size_t start = i;
    uint32_t v = 0;
    while (i < h.size() && h[i] >= '0' && h[i] <= '9' && i - start < 6) {
      v = v * 10 + static_cast<uint32_t>(h[i] - '0');
      ++i;
    }
    if (i == start) return std::nullopt;
    wrapped |= v > 255;
    addr = (addr << 8) | (v & 0xFF);
    ++parts;
    if (parts < 4) {
      if (i >= h.size() || h[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != h.size() || !wrapped) return std::nullopt;
  return addr;
}

}  // namespace

size_t normalize_host(std::string_view host, char* out, size_t cap) {
  // Percent-decode once (URL Standard host parser step 4), then fold, into `out`.
  char decoded[kMaxHostBytes];
  size_t dn = 0;
  for (size_t i = 0; i < host.size(); ++i) {
    if (dn == sizeof(decoded)) return cap + 1;
    char c = host[i];
    if (c == '%' && i + 2 < host.size() && hex_value(host[i + 1]) >= 0 &&
        hex_value(host[i + 2]) >= 0) {
      c = static_cast<char>(hex_value(host[i + 1]) * 16 + hex_value(host[i + 2]));
      i += 2;
    }
    decoded[dn++] = c;
  }
  std::string_view d(decoded, dn);
  size_t n = 0;
  for (size_t i = 0; i < d.size();) {
    uint32_t cp = next_code_point(d, i);
    if (cp == '\t' || cp == '\n' || cp == '\r') continue;  // URL Standard strips these anywhere
    char m[4];
    int k = cp >= 0x80 ? map_code_point(cp, m) : -1;
    if (k < 0) {
      if (cp < 0x80) {
        m[0] = static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        k = 1;
      } else {
        // Unmapped non-ASCII: keep a placeholder byte so it never matches an ASCII name.
        m[0] = '\x80';
        k = 1;
      }
    }
    if (n + static_cast<size_t>(k) > cap) return cap + 1;
    std::memcpy(out + n, m, static_cast<size_t>(k));
    n += static_cast<size_t>(k);
  }
  return n;
}

bool classify_host(std::string_view host_port, HostMode mode, HostVerdict& out) {
  out.reason = {};
  out.host = {};
  size_t n = normalize_host(host_port, out.buf, sizeof(out.buf));
  if (n > sizeof(out.buf)) {
    // No DNS name exceeds 253 bytes; a URL host this long made only of number characters is
    // zero padding aimed at a parser ("http://000...0177.0.0.1"). Long tokens in bare inputs
    // (JWTs, hashes) are not hosts.
    if (mode == HostMode::kBare) return false;
    for (char c : host_port) {
      if (c == ':' || c == '/' || c == '?' || c == '#') break;
      if (hex_value(c) < 0 && c != '.' && c != 'x' && c != 'X') return false;
    }
    out.reason = "oversized numeric host";
    out.host = std::string_view(out.buf, 0);
    return true;
  }
  std::string_view h(out.buf, n);
  // C-string clients (libcurl before URL parsing, many C libraries) stop at NUL.
  if (size_t nul = h.find('\0'); nul != std::string_view::npos) h = h.substr(0, nul);
  if (h.empty()) return false;

  if (h[0] == '[') {
    size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    out.host = h.substr(0, close + 1);
    out.reason = classify_ipv6_text(h.substr(1, close - 1), mode);
    return !out.reason.empty();
  }
  // Unbracketed IPv6 ("2001:db8::1", "::1"), which some clients accept in URLs.
  size_t first_colon = h.find(':');
  if (first_colon != std::string_view::npos && h.find(':', first_colon + 1) != h.npos) {
    bool all_zero = h.find_first_not_of(":0") == std::string_view::npos;
    if (!(mode == HostMode::kBare && all_zero)) {
      out.reason = classify_ipv6_text(h, mode);
      if (!out.reason.empty()) {
        out.host = h;
        return true;
      }
    }
  }
  if (first_colon != std::string_view::npos) h = h.substr(0, first_colon);  // drop the port
  while (!h.empty() && h.back() == '.') h.remove_suffix(1);                 // FQDN trailing dots
  if (h.empty()) return false;
  out.host = h;

  if (mode == HostMode::kUrl) {
    Ipv4Parse p = parse_ipv4_whatwg(h);
    switch (p.kind) {
      case Ipv4Parse::Kind::kIpv4:
        out.reason = classify_ipv4(p.addr);
        return !out.reason.empty();
      case Ipv4Parse::Kind::kOverflow:
        if (!classify_ipv4(p.addr).empty()) {
          out.reason = "numeric host wraps to an internal address";
          return true;
        }
        return false;
      case Ipv4Parse::Kind::kInvalid:
        // "Dotted decimal with overflow" (425.510.425.510): parsers that keep each octet in a
        // byte wrap every part modulo 256.
        if (auto wrapped = octets_modulo_256(h)) {
          if (!classify_ipv4(*wrapped).empty()) {
            out.reason = "dotted octets wrap to an internal address";
            return true;
          }
        }
        return false;
      case Ipv4Parse::Kind::kNotIpv4:
        break;
    }
  } else if (auto a = parse_ipv4_four_parts(h)) {
    out.reason = classify_ipv4(*a);
    return !out.reason.empty();
  }
  out.reason = classify_name(h, mode);
  return !out.reason.empty();
}

}  // namespace portcullis::rules::ssrf
