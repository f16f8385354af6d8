#include "rules/ssrf/ip_address.h"

namespace portcullis::rules::ssrf {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool has_hex_prefix(std::string_view s) {
  return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

// WHATWG "IPv4 number parser". The value wraps modulo 2^64 so that its low 32 bits stay exact
// for the overflow report; `overflow` is set when it left 32 bits (or wrapped).
bool parse_ipv4_number(std::string_view part, uint64_t& value, bool& overflow) {
  if (part.empty()) return false;
  int radix = 10;
  if (has_hex_prefix(part)) {
    radix = 16;
    part.remove_prefix(2);
  } else if (part.size() >= 2 && part[0] == '0') {
    radix = 8;
    part.remove_prefix(1);
  }
  value = 0;
  overflow = false;
  for (char c : part) {
    int d = hex_value(c);
    if (d < 0 || d >= radix) return false;
    uint64_t next = value * static_cast<uint64_t>(radix) + static_cast<uint64_t>(d);
    if (value > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(radix)) {
      overflow = true;
    }
    value = next;
    if (value > 0xFFFFFFFFull) overflow = true;
  }
  return true;
}

// Splits on '.', after dropping one trailing empty part. Returns the count, or 5 for "too many".
int split_parts(std::string_view s, std::string_view (&parts)[4]) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  int n = 0;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (n == 4) return 5;
    parts[n++] = part;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return n;
}

}  // namespace

Ipv4Parse parse_ipv4_whatwg(std::string_view host) {
  Ipv4Parse out;
  std::string_view h = host;
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  if (h.empty()) return out;
  // "Ends in a number" (URL Standard, host parsing step 7): only then is it an IPv4 candidate.
  size_t last_dot = h.rfind('.');
  std::string_view last = last_dot == std::string_view::npos ? h : h.substr(last_dot + 1);
  if (last.empty()) return out;
  bool ends_in_number = true;
  if (has_hex_prefix(last)) {
    for (char c : last.substr(2)) ends_in_number &= hex_value(c) >= 0;
  } else {
    for (char c : last) ends_in_number &= is_digit(c);
  }
  if (!ends_in_number) return out;

  std::string_view parts[4];
  int n = split_parts(host, parts);
  if (n > 4) {
    out.kind = Ipv4Parse::Kind::kInvalid;
    return out;
  }
  uint64_t numbers[4] = {};
  bool overflow = false;
  for (int i = 0; i < n; ++i) {
    bool part_overflow = false;
    if (!parse_ipv4_number(parts[i], numbers[i], part_overflow)) {
      out.kind = Ipv4Parse::Kind::kInvalid;
      return out;
    }
    if (i < n - 1) {
      if (part_overflow || numbers[i] > 255) {  // WHATWG: failure, and inet_aton agrees.
        out.kind = Ipv4Parse::Kind::kInvalid;
        return out;
      }
    } else {
      overflow = part_overflow;
    }
  }
  uint64_t last_limit = 1ull << (8 * (5 - n));
  if (numbers[n - 1] >= last_limit) overflow = true;
  uint64_t addr = numbers[n - 1];
  for (int i = 0; i < n - 1; ++i) addr += numbers[i] << (8 * (3 - i));
  out.addr = static_cast<uint32_t>(addr);
  out.kind = overflow ? Ipv4Parse::Kind::kOverflow : Ipv4Parse::Kind::kIpv4;
  return out;
}

std::optional<uint32_t> parse_ipv4_four_parts(std::string_view host) {
  std::string_view parts[4];
  if (split_parts(host, parts) != 4) return std::nullopt;
  uint32_t addr = 0;
  for (auto& part : parts) {
    uint64_t v = 0;
    bool overflow = false;
    if (!parse_ipv4_number(part, v, overflow) || overflow || v > 255) return std::nullopt;
    addr = (addr << 8) | static_cast<uint32_t>(v);
  }
  return addr;
}

// URL Standard "IPv6 parser", which is RFC 4291 section 2.2 with strict IPv4 tails.
std::optional<Ipv6> parse_ipv6(std::string_view s) {
  Ipv6 address{};
  int piece = 0;
  int compress = -1;
  size_t i = 0;
  const size_t n = s.size();
  auto at = [&](size_t k) -> char { return k < n ? s[k] : '\0'; };
  if (n == 0) return std::nullopt;
  if (at(0) == ':') {
    if (at(1) != ':') return std::nullopt;
    i = 2;
    piece = 1;
    compress = 1;
  }
  while (i < n) {
    if (piece == 8) return std::nullopt;
    if (at(i) == ':') {
      if (compress != -1) return std::nullopt;
      ++i;
      ++piece;
      compress = piece;
      continue;
    }
    uint32_t value = 0;
    int length = 0;
    while (length < 4 && hex_value(at(i)) >= 0) {
      value = value * 16 + static_cast<uint32_t>(hex_value(at(i)));
      ++i;
      ++length;
    }
    if (at(i) == '.') {
      if (length == 0) return std::nullopt;
      i -= static_cast<size_t>(length);
      if (piece > 6) return std::nullopt;
      int numbers_seen = 0;
      while (i < n) {
        int ipv4_piece = -1;
        if (numbers_seen > 0) {
          if (at(i) == '.' && numbers_seen < 4) {
            ++i;
          } else {
            return std::nullopt;
          }
        }
        if (!is_digit(at(i))) return std::nullopt;
        while (is_digit(at(i))) {
          int number = at(i) - '0';
          if (ipv4_piece == -1) {
            ipv4_piece = number;
          } else if (ipv4_piece == 0) {
            return std::nullopt;
          } else {
            ipv4_piece = ipv4_piece * 10 + number;
          }
          if (ipv4_piece > 255) return std::nullopt;
          ++i;
        }
        address[piece] = static_cast<uint16_t>(address[piece] * 0x100 + ipv4_piece);
        ++numbers_seen;
        if (numbers_seen == 2 || numbers_seen == 4) ++piece;
      }
      if (numbers_seen != 4) return std::nullopt;
      break;
    } else if (at(i) == ':') {
      ++i;
      if (i >= n) return std::nullopt;
    } else if (i < n) {
      return std::nullopt;
    }
    address[piece] = static_cast<uint16_t>(value);
    ++piece;
  }
  if (compress != -1) {
    int swaps = piece - compress;
    piece = 7;
    while (piece != 0 && swaps > 0) {
      std::swap(address[piece], address[compress + swaps - 1]);
      --piece;
      --swaps;
    }
  } else if (piece != 8) {
    return std::nullopt;
  }
  return address;
}

namespace {

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

bool in_net(uint32_t addr, uint32_t net, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
  return (addr & mask) == net;
}

}  // namespace

std::string_view classify_ipv4(uint32_t a) {
  // Exact cloud metadata endpoints first: the most valuable SSRF targets get the clearest reason.
  if (a == ip(169, 254, 169, 254) || a == ip(169, 254, 170, 2) || a == ip(169, 254, 169, 123) ||
      a == ip(100, 100, 100, 200) || a == ip(192, 0, 0, 192) ||
      // Azure WireServer: a public address that Azure VMs reach as an internal platform service.
      a == ip(168, 63, 129, 16)) {
    return "cloud metadata endpoint";
  }
  struct Range {
    uint32_t net;
    int prefix;
    std::string_view reason;
  };
  static constexpr Range kRanges[] = {
      {ip(0, 0, 0, 0), 8, "this-network address (0.0.0.0/8)"},
      {ip(10, 0, 0, 0), 8, "private address (RFC 1918)"},
      {ip(100, 64, 0, 0), 10, "carrier-grade NAT address (RFC 6598)"},
      {ip(127, 0, 0, 0), 8, "loopback address"},
      {ip(169, 254, 0, 0), 16, "link-local address"},
      {ip(172, 16, 0, 0), 12, "private address (RFC 1918)"},
      {ip(192, 0, 0, 0), 24, "IETF protocol assignment (RFC 6890)"},
      {ip(192, 0, 2, 0), 24, "documentation address (RFC 5737)"},
      {ip(192, 31, 196, 0), 24, "special-purpose address (AS112, RFC 7535)"},
      {ip(192, 52, 193, 0), 24, "special-purpose address (AMT, RFC 7450)"},
      {ip(192, 88, 99, 0), 24, "6to4 relay anycast (RFC 7526)"},
      {ip(192, 168, 0, 0), 16, "private address (RFC 1918)"},
      {ip(192, 175, 48, 0), 24, "special-purpose address (AS112, RFC 7534)"},
      {ip(198, 18, 0, 0), 15, "benchmarking address (RFC 2544)"},
      {ip(198, 51, 100, 0), 24, "documentation address (RFC 5737)"},
      {ip(203, 0, 113, 0), 24, "documentation address (RFC 5737)"},
      {ip(224, 0, 0, 0), 4, "multicast address"},
      {ip(240, 0, 0, 0), 4, "reserved address (240.0.0.0/4)"},
  };
  for (const Range& r : kRanges) {
    if (in_net(a, r.net, r.prefix)) return r.reason;
  }
  return {};
}

std::string_view classify_ipv6(const Ipv6& w) {
  auto zero_prefix = [&](int words) {
    for (int i = 0; i < words; ++i) {
      if (w[i] != 0) return false;
    }
    return true;
  };
  uint32_t low32 = (static_cast<uint32_t>(w[6]) << 16) | w[7];
  if (zero_prefix(8)) return "unspecified address";
  if (zero_prefix(7) && w[7] == 1) return "loopback address";
  // IPv4-mapped (::ffff:0:0/96) and the deprecated IPv4-compatible (::/96) forms reach the
  // embedded IPv4 address on dual-stack hosts.
  if (zero_prefix(5) && w[5] == 0xffff) return classify_ipv4(low32);
  if (zero_prefix(6)) return classify_ipv4(low32);
  // NAT64 well-known prefix (RFC 6052) translates to the embedded IPv4 address.
  if (w[0] == 0x64 && w[1] == 0xff9b && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0) {
    return classify_ipv4(low32);
  }
  if (w[0] == 0x64 && w[1] == 0xff9b && w[2] == 1) return "local-use NAT64 address (RFC 8215)";
  // 6to4 (RFC 3056): 2002:AABB:CCDD::/48 tunnels to IPv4 AA.BB.CC.DD.
  if (w[0] == 0x2002) {
    std::string_view r = classify_ipv4((static_cast<uint32_t>(w[1]) << 16) | w[2]);
    if (!r.empty()) return r;
  }
  if (w[0] == 0x0100 && w[1] == 0 && w[2] == 0 && w[3] == 0)
    return "discard-only address (RFC 6666)";
  if (w[0] == 0x2001 && w[1] == 0x0db8) return "documentation address (RFC 3849)";
  if (w[0] == 0x2001 && w[1] == 0x0002 && w[2] == 0) return "benchmarking address (RFC 5180)";
  if (w[0] == 0xfd00 && w[1] == 0x0ec2 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 &&
      w[6] == 0 && w[7] == 0x254) {
    return "cloud metadata endpoint";
  }
  if ((w[0] & 0xfe00) == 0xfc00) return "unique-local address (RFC 4193)";
  if ((w[0] & 0xffc0) == 0xfe80) return "link-local address";
  if ((w[0] & 0xff00) == 0xff00) return "multicast address";
  return {};
}

}  // namespace portcullis::rules::ssrf
