#include "rules/net/ip_address.h"

#include <endian.h>
#include <netinet/in.h>

#include <cstring>

namespace portcullis::net {
namespace {

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4291 section 2.2 forms 1-3. Returns nullptr on success or a fixed reason.
const char* parse_ipv6(std::string_view s, uint8_t out[16]) {
  if (s.size() < 2) return "invalid IPv6 address";
  uint16_t words[8] = {};
  int n = 0;     // words parsed
  int gap = -1;  // index in words where "::" stands, -1 if none
  size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return "IPv6 address starts with a single ':'";
    gap = 0;
    i = 2;
  }
  while (i < s.size()) {
    size_t j = i;
    bool dotted = false;
    while (j < s.size() && s[j] != ':') {
      if (s[j] == '.') dotted = true;
      ++j;
    }
    std::string_view token = s.substr(i, j - i);
    if (token.empty()) return "empty group in IPv6 address";
    if (dotted) {
      // RFC 4291 form 3: the dotted quad fills the last 32 bits and ends the address.
      if (j != s.size()) return "embedded IPv4 must be last in IPv6 address";
      if (n > 6) return "too many groups in IPv6 address";
      uint32_t v4 = 0;
      if (!parse_ipv4_strict(token, &v4)) return "invalid embedded IPv4 in IPv6 address";
      words[n++] = static_cast<uint16_t>(v4 >> 16);
      words[n++] = static_cast<uint16_t>(v4 & 0xffff);
      i = j;
      break;
    }
    if (token.size() > 4) return "IPv6 group longer than 4 hex digits";
    if (n >= 8) return "too many groups in IPv6 address";
    unsigned w = 0;
    for (char c : token) {
      int h = hex_value(c);
      if (h < 0) return "invalid character in IPv6 address";
      w = (w << 4) | static_cast<unsigned>(h);
    }
    words[n++] = static_cast<uint16_t>(w);
    i = j;
    if (i == s.size()) break;
    ++i;  // the ':'
    if (i == s.size()) return "IPv6 address ends with a single ':'";
    if (s[i] == ':') {
      if (gap >= 0) return "more than one '::' in IPv6 address";
      gap = n;
      ++i;
    }
  }
  if (gap < 0) {
    if (n != 8) return "too few groups in IPv6 address";
  } else if (n > 7) {
    return "'::' with 8 groups in IPv6 address";
  }
  uint16_t full[8] = {};
  if (gap < 0) {
    std::memcpy(full, words, sizeof(full));
  } else {
    int tail = n - gap;
    for (int k = 0; k < gap; ++k) full[k] = words[k];
    for (int k = 0; k < tail; ++k) full[8 - tail + k] = words[gap + k];
  }
  for (int k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(full[k] & 0xff);
  }
  return nullptr;
}

size_t format_v4(uint32_t v, char* out) {
  size_t n = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    unsigned octet = (v >> shift) & 0xff;
    if (octet >= 100) out[n++] = static_cast<char>('0' + octet / 100);
    if (octet >= 10) out[n++] = static_cast<char>('0' + (octet / 10) % 10);
    out[n++] = static_cast<char>('0' + octet % 10);
    if (shift) out[n++] = '.';
  }
  return n;
}

}  // namespace

bool parse_ipv4_strict(std::string_view s, uint32_t* out) {
  uint32_t result = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (i >= s.size() || !is_digit(s[i])) return false;
    // A leading zero is how inet_aton spells octal ("010" == 8): refuse rather than guess.
    if (s[i] == '0' && i + 1 < s.size() && is_digit(s[i + 1])) return false;
    unsigned value = 0;
    int digits = 0;
    while (i < s.size() && is_digit(s[i])) {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      if (++digits > 3) return false;
      ++i;
    }
    if (value > 255) return false;
    result = (result << 8) | value;
    if (part < 3) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  if (i != s.size()) return false;
  *out = result;
  return true;
}

IpAddress IpAddress::from_v4(uint32_t host_order) {
  IpAddress a;
  std::memcpy(a.bytes.data(), kV4MappedPrefix, sizeof(kV4MappedPrefix));
  a.bytes[12] = static_cast<uint8_t>(host_order >> 24);
  a.bytes[13] = static_cast<uint8_t>(host_order >> 16);
  a.bytes[14] = static_cast<uint8_t>(host_order >> 8);
  a.bytes[15] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::from_v6(const uint8_t (&network_order)[16]) {
  IpAddress a;
  std::memcpy(a.bytes.data(), network_order, 16);
  return a;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty()) return make_error("empty address");
  if (text.size() >= kMaxTextLength) return make_error("address too long");
  if (text.find('%') != std::string_view::npos) return make_error("zone id not allowed");
  if (text.find(':') == std::string_view::npos) {
    uint32_t v4 = 0;
    if (!parse_ipv4_strict(text, &v4)) return make_error("invalid IPv4 address");
    return from_v4(v4);
  }
  uint8_t raw[16];
  if (const char* reason = parse_ipv6(text, raw)) return make_error(reason);
  return from_v6(raw);
}

Result<IpAddress> IpAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return make_error("null sockaddr");
  if (len < static_cast<socklen_t>(sizeof(sa_family_t))) return make_error("short sockaddr");
  if (sa->sa_family == AF_INET) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return make_error("short sockaddr_in");
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof(sin));
    return from_v4(ntohl(sin.sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in6))) {
      return make_error("short sockaddr_in6");
    }
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof(sin6));
    uint8_t raw[16];
    std::memcpy(raw, sin6.sin6_addr.s6_addr, 16);
    return from_v6(raw);
  }
  return make_error("unsupported address family");
}

Result<IpAddress> IpAddress::from_sockaddr(const sockaddr_storage& ss) {
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), sizeof(ss));
}

bool IpAddress::is_v4() const { return std::memcmp(bytes.data(), kV4MappedPrefix, 12) == 0; }

uint32_t IpAddress::v4() const {
  return (uint32_t{bytes[12]} << 24) | (uint32_t{bytes[13]} << 16) | (uint32_t{bytes[14]} << 8) |
         uint32_t{bytes[15]};
}

uint64_t IpAddress::hi() const {
  uint64_t v;
  std::memcpy(&v, bytes.data(), 8);
  return be64toh(v);
}

uint64_t IpAddress::lo() const {
  uint64_t v;
  std::memcpy(&v, bytes.data() + 8, 8);
  return be64toh(v);
}

size_t IpAddress::format(char (&out)[kMaxTextLength]) const {
  if (is_v4()) {
    size_t n = format_v4(v4(), out);
    out[n] = '\0';
    return n;
  }
  uint16_t w[8];
  for (int k = 0; k < 8; ++k) w[k] = static_cast<uint16_t>((bytes[2 * k] << 8) | bytes[2 * k + 1]);
  // RFC 5952 section 4.2: compress the longest run of >= 2 zero groups, the first on a tie.
  int best_start = -1, best_len = 1;
  for (int k = 0; k < 8;) {
    if (w[k] != 0) {
      ++k;
      continue;
    }
    int start = k;
    while (k < 8 && w[k] == 0) ++k;
    if (k - start > best_len) {
      best_start = start;
      best_len = k - start;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  size_t n = 0;
  for (int k = 0; k < 8; ++k) {
    if (k == best_start) {
      out[n++] = ':';
      out[n++] = ':';
      k += best_len - 1;
      continue;
    }
    if (k != 0 && k != best_start + best_len) out[n++] = ':';
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned nib = (w[k] >> shift) & 0xf;
      if (nib != 0 || started || shift == 0) {
        out[n++] = kHex[nib];
        started = true;
      }
    }
  }
  out[n] = '\0';
  return n;
}

std::string IpAddress::to_string() const {
  char buf[kMaxTextLength];
  size_t n = format(buf);
  return std::string(buf, n);
}

Result<IpAddress> parse_forwarded_ip(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return make_error("empty forwarded address");
  if (v.find_first_of(", \t") != std::string_view::npos) {
    return make_error("forwarded header holds more than one address");
  }
  return IpAddress::parse(v);
}

}  // namespace portcullis::net
