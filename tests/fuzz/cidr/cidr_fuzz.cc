// libFuzzer target for the address and CIDR list parsers (attacker data: CF-Connecting-IP
// values; operator data: list files). Checks invariants, not just absence of crashes:
//   - a parsed address prints canonically and re-parses to the same value;
//   - the canonical text is a fixed point (printing the re-parsed value gives the same text);
//   - a parsed CIDR prints and re-parses to the same CIDR;
//   - a parsed list file contains the first and last address of each of its own lines, and
//     to_cidrs() rebuilds a set with the same ranges.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/net/cidr_set.h"
#include "rules/net/ip_address.h"
#include "rules/net/range_file.h"

using portcullis::Result;
using portcullis::net::Cidr;
using portcullis::net::CidrSet;
using portcullis::net::IpAddress;

namespace {

void check(bool cond) {
  if (!cond) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  Result<IpAddress> a = IpAddress::parse(in);
  if (a.ok()) {
    std::string text = a->to_string();
    Result<IpAddress> b = IpAddress::parse(text);
    check(b.ok() && *b == *a && b->to_string() == text);
    // Canonical text never carries whitespace, zones or brackets.
    check(text.find_first_of(" \t%[]") == std::string::npos);
  }
  Result<IpAddress> f = portcullis::net::parse_forwarded_ip(in);
  if (f.ok()) check(IpAddress::parse(f->to_string()).ok());

  Result<Cidr> c = Cidr::parse(in);
  if (c.ok()) {
    Result<Cidr> d = Cidr::parse(c->to_string());
    check(d.ok() && d->base == c->base && d->prefix_len == c->prefix_len);
  }

  if (size > 4096) return 0;  // keep list parsing fast; line handling is covered by short inputs
  Result<CidrSet> set = CidrSet::parse(in, "fuzz");
  if (set.ok()) {
    // Every entry line is in the set (first and last address).
    std::string_view rest = in;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      line = line.substr(0, line.find('#'));
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t' || line.front() == '\r'))
        line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
        line.remove_suffix(1);
      if (line.empty()) continue;
      Result<Cidr> e = Cidr::parse(line);
      check(e.ok());
      IpAddress last = e->base;
      for (unsigned bit = e->prefix_len; bit < 128; ++bit)
        last.bytes[bit / 8] |= 0x80u >> (bit % 8);
      check(set->contains(e->base));
      check(set->contains(last));
    }
    CidrSet rebuilt = CidrSet::build(set->to_cidrs());
    check(rebuilt.v4_range_count() == set->v4_range_count());
    check(rebuilt.v6_range_count() == set->v6_range_count());
  }
  (void)portcullis::net::parse_range_file(in, "fuzz");
  return 0;
}
