// IP literal parsing and classification for SSRF detection.
//
// The IPv4 parser follows the WHATWG URL Standard "IPv4 parser" (the one browsers, Node's URL,
// undici and most app HTTP clients use), which still accepts the legacy inet_aton() spellings:
// 1 to 4 parts, each decimal, octal (leading 0) or hex (0x), the last part filling the remaining
// bytes (127.1, 0x7f.1, 2130706433, 0177.0.0.1). On top of the standard we report numbers that
// overflow 32 bits with their low 32 bits, because some legacy parsers wrap instead of failing
// (http://7147006462/ reaches 169.254.169.254 there).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace portcullis::rules::ssrf {

struct Ipv4Parse {
  enum class Kind : uint8_t {
    kNotIpv4,   // does not "end in a number": a domain name for WHATWG
    kIpv4,      // a valid (possibly legacy-spelled) IPv4 address
    kOverflow,  // numeric but out of range; `addr` holds the low 32 bits a wrapping parser uses
    kInvalid,   // numeric-looking but malformed (bad digit, > 4 parts): WHATWG host failure
  };
  Kind kind = Kind::kNotIpv4;
  uint32_t addr = 0;
};

// `host` must already be ASCII-lowercased or not: hex digits and the 0x prefix are accepted in
// either case. A single trailing dot is allowed (WHATWG drops one empty last part).
Ipv4Parse parse_ipv4_whatwg(std::string_view host);

// Strict dotted quad where each of the 4 parts is a legacy number <= 255 (decimal, octal or
// hex). Used for inputs that are only a host, where "10.1" or a bare integer is far more likely
// to be a version or an id than an address.
std::optional<uint32_t> parse_ipv4_four_parts(std::string_view host);

using Ipv6 = std::array<uint16_t, 8>;

// RFC 4291 section 2.2 text forms, including "::" compression and a trailing dotted IPv4
// (::ffff:127.0.0.1). No brackets; a zone id ("%eth0", RFC 6874) must be stripped by the caller.
std::optional<Ipv6> parse_ipv6(std::string_view text);

// Why an address must not be the target of a server-side request, or empty if it is public.
// Ranges are the IANA special-purpose registries (RFC 6890 and successors): loopback, RFC 1918,
// link-local (cloud metadata 169.254.169.254), CGNAT 100.64/10 (Alibaba metadata 100.100.100.200),
// "this network" 0/8, IETF protocol assignments 192.0.0/24 (Oracle metadata 192.0.0.192),
// documentation and benchmarking nets, 6to4 relay anycast, multicast and reserved 240/4.
// The returned view is a string literal.
std::string_view classify_ipv4(uint32_t addr);
std::string_view classify_ipv6(const Ipv6& addr);

}  // namespace portcullis::rules::ssrf
