// IpAddress: one 16-byte value for IPv4 and IPv6 peers, parsed strictly.
//
// IPv4 is stored as the IPv4-mapped IPv6 address ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2), so
// a dual-stack socket's peer ::ffff:1.2.3.4 and an AF_INET peer 1.2.3.4 are the same value and
// hit the same CIDR ranges. is_v4() is therefore true for both; there is no separate family tag.
//
// Parsing is strict on purpose: the origin lock and rate-limit keys must not depend on how a
// lenient parser reads "010.1.1.1" (octal in inet_aton) or "1.1" (classful shorthand), which is
// a known allow-list bypass. Only these forms are accepted:
//   - IPv4: exactly four decimal octets 0..255, no leading zeros ("01" rejected), no sign, no
//     hex/octal, no trailing dot.
//   - IPv6: every RFC 4291 section 2.2 text form (full, "::"-compressed, trailing dotted quad,
//     any hex case). Zone ids ("fe80::1%eth0", RFC 6874) and brackets are rejected: a zone is
//     meaningless for a remote peer and would make equal addresses compare unequal.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/base/result.h"

struct sockaddr;

namespace portcullis::net {

struct IpAddress {
  // Network byte order, IPv6 layout. Zero-initialised value is "::".
  std::array<uint8_t, 16> bytes{};

  // Longest text form: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45 chars (+ NUL).
  static constexpr size_t kMaxTextLength = 46;

  static IpAddress from_v4(uint32_t host_order);
  static IpAddress from_v6(const uint8_t (&network_order)[16]);

  static Result<IpAddress> parse(std::string_view text);
  // AF_INET or AF_INET6 only; len is checked against the family's size. sin6_scope_id is
  // ignored (a link-local peer is still a peer, and zones never match a CIDR list).
  static Result<IpAddress> from_sockaddr(const sockaddr* sa, socklen_t len);
  static Result<IpAddress> from_sockaddr(const sockaddr_storage& ss);

  // True for ::ffff:0:0/96, i.e. every IPv4 address.
  bool is_v4() const;
  // Host byte order; only meaningful when is_v4().
  uint32_t v4() const;
  // The address as a 128-bit big-endian number split in two halves (for range arithmetic).
  uint64_t hi() const;
  uint64_t lo() const;

  // RFC 5952 canonical text (lower case, longest zero run compressed, first on a tie, a single
  // zero group never compressed); IPv4 (and so IPv4-mapped) prints as a dotted quad. Writes at
  // most kMaxTextLength - 1 chars plus a NUL into out and returns the length; no allocation.
  size_t format(char (&out)[kMaxTextLength]) const;
  std::string to_string() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

static_assert(sizeof(IpAddress) == 16);

// Value of a CF-Connecting-IP / True-Client-IP style header: one address, optional surrounding
// spaces or tabs (RFC 9110 section 5.5 OWS), nothing else (no lists, ports, brackets or zones).
// Only meaningful once the socket peer passed the origin lock: the header is attacker data
// otherwise.
Result<IpAddress> parse_forwarded_ip(std::string_view header_value);

// Strict decimal parse of a dotted quad into host order; used by the IPv6 parser too.
bool parse_ipv4_strict(std::string_view text, uint32_t* out);

}  // namespace portcullis::net
