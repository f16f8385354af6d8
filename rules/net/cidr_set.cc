#include "rules/net/cidr_set.h"

#include <algorithm>
#include <charconv>

namespace portcullis::net {
namespace {

using U128 = CidrSet::U128;

// ::ffff:0.0.0.0 and ::ffff:255.255.255.255: the IPv4 part of the 128-bit space.
constexpr U128 kV4First{0, 0x0000ffff00000000ULL};
constexpr U128 kV4Last{0, 0x0000ffffffffffffULL};

U128 to_u128(const IpAddress& a) { return {a.hi(), a.lo()}; }

IpAddress from_u128(U128 v) {
  uint8_t raw[16];
  for (int i = 0; i < 8; ++i) {
    raw[i] = static_cast<uint8_t>(v.hi >> (56 - 8 * i));
    raw[8 + i] = static_cast<uint8_t>(v.lo >> (56 - 8 * i));
  }
  return IpAddress::from_v6(raw);
}

// Bits below the prefix set to one.
U128 host_mask(unsigned prefix_len) {
  unsigned host_bits = 128 - prefix_len;
  U128 m;
  if (host_bits >= 64) {
    m.lo = ~0ULL;
    m.hi = host_bits == 128 ? ~0ULL : (host_bits == 64 ? 0 : (~0ULL >> (128 - host_bits)));
  } else {
    m.lo = host_bits == 0 ? 0 : (~0ULL >> (64 - host_bits));
  }
  return m;
}

U128 add_one(U128 v) {
  U128 r{v.hi, v.lo + 1};
  if (r.lo == 0) ++r.hi;
  return r;
}

U128 sub_one(U128 v) {
  U128 r{v.hi, v.lo - 1};
  if (v.lo == 0) --r.hi;
  return r;
}

constexpr U128 kMax{~0ULL, ~0ULL};

std::pair<U128, U128> range_of(const Cidr& c) {
  U128 first = to_u128(c.base);
  U128 m = host_mask(c.prefix_len);
  return {first, U128{first.hi | m.hi, first.lo | m.lo}};
}

// Keeps error messages printable and short: list files are config, but config can be pasted.
std::string quote_entry(std::string_view s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (s.size() > 64) out += "...";
  out += "'";
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Index of the first element > x (std::upper_bound), written so the loop body compiles to a
// conditional move: the trip count depends only on n, which avoids a mispredicted branch per
// level (the search direction is data-dependent and random for real traffic).
bool le(uint32_t a, uint32_t b) { return a <= b; }
bool le(const U128& a, const U128& b) {
  // As one 128-bit integer compare (cmp/sbb): branch-free, unlike the lexicographic <=>.
  using u128 = unsigned __int128;
  return ((u128{a.hi} << 64) | a.lo) <= ((u128{b.hi} << 64) | b.lo);
}

template <typename T>
size_t upper_bound_index(const std::vector<T>& v, const T& x) {
  size_t len = v.size();
  if (len == 0) return 0;
  const T* base = v.data();
  while (len > 1) {
    size_t half = len / 2;
    base = le(base[half], x) ? base + half : base;
    len -= half;
  }
  return static_cast<size_t>(base - v.data()) + (le(*base, x) ? 1 : 0);
}

}  // namespace

Result<Cidr> Cidr::parse(std::string_view text) {
  size_t slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  Result<IpAddress> addr = IpAddress::parse(addr_text);
  if (!addr.ok()) return addr.error();
  // "::ffff:1.2.3.4" written as a bare v6 address is IPv6 text: its prefix is out of 128.
  bool v4_text = addr_text.find(':') == std::string_view::npos;
  unsigned max_len = v4_text ? 32 : 128;
  unsigned len = max_len;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return make_error("invalid prefix length");
    if (p.size() > 1 && p[0] == '0') return make_error("leading zero in prefix length");
    for (char c : p) {
      if (c < '0' || c > '9') return make_error("invalid prefix length");
    }
    std::from_chars(p.data(), p.data() + p.size(), len);
    if (len > max_len) return make_error("prefix length out of range");
  }
  Cidr c;
  c.base = *addr;
  c.prefix_len = static_cast<uint8_t>(v4_text ? 96 + len : len);
  U128 v = to_u128(c.base);
  U128 m = host_mask(c.prefix_len);
  if ((v.hi & m.hi) || (v.lo & m.lo)) {
    Cidr fixed;
    fixed.base = from_u128(U128{v.hi & ~m.hi, v.lo & ~m.lo});
    fixed.prefix_len = c.prefix_len;
    return make_error("host bits set (did you mean " + fixed.to_string() + "?)");
  }
  return c;
}

std::string Cidr::to_string() const {
  bool v4 = base.is_v4() && prefix_len >= 96;
  return base.to_string() + "/" + std::to_string(v4 ? prefix_len - 96 : prefix_len);
}

CidrSet CidrSet::from_ranges(std::vector<std::pair<U128, U128>> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<U128, U128>> merged;
  merged.reserve(ranges.size());
  for (const auto& r : ranges) {
    // Merge overlapping and adjacent ranges; "last + 1" cannot overflow unless last is the
    // top address, which then absorbs everything after it anyway.
    if (!merged.empty() &&
        (merged.back().second == kMax || r.first <= add_one(merged.back().second))) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  CidrSet set;
  for (const auto& [first, last] : merged) {
    // The part inside ::ffff:0:0/96 goes to the 32-bit table, the rest stays 128-bit.
    if (first < kV4First) {
      set.v6_first_.push_back(first);
      set.v6_last_.push_back(std::min(last, sub_one(kV4First)));
    }
    if (!(last < kV4First) && !(kV4Last < first)) {
      U128 a = std::max(first, kV4First);
      U128 b = std::min(last, kV4Last);
      set.v4_first_.push_back(static_cast<uint32_t>(a.lo));
      set.v4_last_.push_back(static_cast<uint32_t>(b.lo));
    }
    if (kV4Last < last) {
      set.v6_first_.push_back(std::max(first, add_one(kV4Last)));
      set.v6_last_.push_back(last);
    }
  }
  // Splitting keeps the v6 table sorted (pieces below the v4 block precede pieces above it).
  set.v4_first_.shrink_to_fit();
  set.v4_last_.shrink_to_fit();
  set.v6_first_.shrink_to_fit();
  set.v6_last_.shrink_to_fit();
  return set;
}

CidrSet CidrSet::build(std::span<const Cidr> cidrs) {
  std::vector<std::pair<U128, U128>> ranges;
  ranges.reserve(cidrs.size());
  for (const Cidr& c : cidrs) ranges.push_back(range_of(c));
  return from_ranges(std::move(ranges));
}

Result<CidrSet> CidrSet::parse(std::string_view text, std::string_view source_name) {
  std::vector<Cidr> cidrs;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    auto where = [&] { return std::string(source_name) + ":" + std::to_string(line_no) + ": "; };
    if (line.find_first_of(" \t") != std::string_view::npos) {
      return make_error(where() + "more than one entry on a line " + quote_entry(line));
    }
    Result<Cidr> c = Cidr::parse(line);
    if (!c.ok()) return make_error(where() + c.error().reason + " " + quote_entry(line));
    cidrs.push_back(*c);
  }
  return build(cidrs);
}

CidrSet CidrSet::merge(const CidrSet& a, const CidrSet& b) {
  std::vector<std::pair<U128, U128>> ranges;
  for (const CidrSet* s : {&a, &b}) {
    for (size_t i = 0; i < s->v4_first_.size(); ++i) {
      ranges.push_back(
          {U128{0, kV4First.lo | s->v4_first_[i]}, U128{0, kV4First.lo | s->v4_last_[i]}});
    }
    for (size_t i = 0; i < s->v6_first_.size(); ++i) {
      ranges.push_back({s->v6_first_[i], s->v6_last_[i]});
    }
  }
  return from_ranges(std::move(ranges));
}

bool CidrSet::contains(const IpAddress& addr) const {
  // The candidate is the last range starting at or before addr.
  if (addr.is_v4()) {
    uint32_t v = addr.v4();
    size_t i = upper_bound_index(v4_first_, v);
    return i != 0 && v <= v4_last_[i - 1];
  }
  U128 v = to_u128(addr);
  size_t i = upper_bound_index(v6_first_, v);
  return i != 0 && v <= v6_last_[i - 1];
}

size_t CidrSet::memory_bytes() const {
  return sizeof(*this) + (v4_first_.capacity() + v4_last_.capacity()) * sizeof(uint32_t) +
         (v6_first_.capacity() + v6_last_.capacity()) * sizeof(U128);
}

std::vector<Cidr> CidrSet::to_cidrs() const {
  std::vector<Cidr> out;
  // Standard range -> CIDR split: take the largest aligned block that starts at `first` and
  // does not pass `last`.
  auto emit = [&out](U128 first, U128 last) {
    while (true) {
      unsigned prefix = 128;
      while (prefix > 0) {
        U128 m = host_mask(prefix - 1);
        if ((first.hi & m.hi) || (first.lo & m.lo)) break;  // not aligned
        U128 end{first.hi | m.hi, first.lo | m.lo};
        if (last < end) break;  // too big
        --prefix;
      }
      out.push_back(Cidr{from_u128(first), static_cast<uint8_t>(prefix)});
      U128 m = host_mask(prefix);
      U128 end{first.hi | m.hi, first.lo | m.lo};
      if (!(end < last)) return;
      first = add_one(end);
    }
  };
  for (size_t i = 0; i < v6_first_.size() && v6_first_[i] < kV4First; ++i) {
    emit(v6_first_[i], v6_last_[i]);
  }
  for (size_t i = 0; i < v4_first_.size(); ++i) {
    emit(U128{0, kV4First.lo | v4_first_[i]}, U128{0, kV4First.lo | v4_last_[i]});
  }
  for (size_t i = 0; i < v6_first_.size(); ++i) {
    if (kV4Last < v6_first_[i]) emit(v6_first_[i], v6_last_[i]);
  }
  return out;
}

}  // namespace portcullis::net
