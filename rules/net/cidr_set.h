// CidrSet: an immutable set of IPv4/IPv6 ranges for the origin lock and allow/deny lists.
//
// Built once (at config load) from CIDRs, then only read: contains() is a binary search over
// sorted, merged, non-adjacent ranges, allocates nothing and is safe from any thread.
// IPv4 ranges live in their own 32-bit table (8 bytes a range) and IPv6 ranges in a 128-bit one
// (32 bytes a range); since IpAddress stores IPv4 as ::ffff:a.b.c.d, an IPv6 CIDR that covers
// part of ::ffff:0:0/96 is split at build time so that the v4 table answers for it, and an
// IPv4-mapped peer matches IPv4 ranges. Memory is at most 32 bytes per input CIDR.
//
// Host bits: "10.0.0.1/8" is an ERROR, not silently normalised. A list that says /8 where the
// author meant a host is a configuration mistake that would open (or close) 16M addresses; we
// fail at load (STYLE.md: no degraded run on config errors) and the message names the
// normalised form ("did you mean 10.0.0.0/8?").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/base/result.h"
#include "rules/net/ip_address.h"

namespace portcullis::net {

struct Cidr {
  IpAddress base;          // host bits are zero
  uint8_t prefix_len = 0;  // in the 128-bit space: an IPv4 /n is stored as 96 + n

  // "1.2.3.0/24", "2400:cb00::/32", or a bare address (/32 or /128). The prefix is decimal
  // without leading zeros, 0..32 for IPv4 and 0..128 for IPv6. Host bits set -> error.
  static Result<Cidr> parse(std::string_view text);
  // Canonical text: "1.2.3.0/24", "2400:cb00::/32".
  std::string to_string() const;
};

class CidrSet {
 public:
  CidrSet() = default;  // the empty set

  // Sorts and merges overlapping and adjacent ranges.
  static CidrSet build(std::span<const Cidr> cidrs);
  // List file text: one CIDR or bare address per line; '#' starts a comment (whole line or
  // after the entry); blank lines and surrounding spaces/tabs/CR ignored. The first bad line
  // fails the whole parse: "<source_name>:<line>: <reason> '<entry>'".
  static Result<CidrSet> parse(std::string_view text, std::string_view source_name);
  // Union of two sets (e.g. the v4 and the v6 file).
  static CidrSet merge(const CidrSet& a, const CidrSet& b);

  bool contains(const IpAddress& addr) const;

  bool empty() const { return v4_first_.empty() && v6_first_.empty(); }
  size_t v4_range_count() const { return v4_first_.size(); }
  size_t v6_range_count() const { return v6_first_.size(); }
  size_t memory_bytes() const;
  // The merged ranges back as minimal CIDRs (for logging / exporting the effective list).
  std::vector<Cidr> to_cidrs() const;

  struct U128 {
    uint64_t hi = 0, lo = 0;
    friend auto operator<=>(const U128&, const U128&) = default;
  };

 private:
  static CidrSet from_ranges(std::vector<std::pair<U128, U128>> ranges);

  // Parallel arrays: first_[i] <= last_[i] < first_[i+1] - 1 (merged, not adjacent).
  std::vector<uint32_t> v4_first_, v4_last_;
  std::vector<U128> v6_first_, v6_last_;
};

}  // namespace portcullis::net
