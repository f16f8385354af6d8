// Decides whether a URL host (or an input that is only a host) names an internal target:
// loopback, private, link-local, metadata service, or a public name known to resolve to one.
// No DNS lookups: a proxy must decide from the text alone.
#pragma once

#include <cstddef>
#include <string_view>

namespace portcullis::rules::ssrf {

enum class HostMode : unsigned char {
  // The host of a URL: parsed like a WHATWG URL parser (percent-decoding, UTS #46 width and
  // compatibility folding, legacy IPv4 spellings such as 0x7f.1 or 2130706433) plus the
  // wrap-around of legacy parsers, and single-label metadata names ("metadata", "instance-data").
  kUrl,
  // An input that is nothing but a host: only unambiguous forms fire (4-part dotted IPv4,
  // IPv6, loopback and internal names), so "10.1", ids like "2130706433" or the word
  // "metadata" in a form field stay quiet.
  kBare,
};

// Largest host (after normalization) the classifier analyses; anything longer is reported as
// oversized, since no DNS name exceeds 253 bytes and padding is how parsers get confused.
inline constexpr size_t kMaxHostBytes = 1024;

struct HostVerdict {
  std::string_view reason;  // string literal; empty when the host is not internal
  // The normalized host that was judged (points into `buf`), for the finding's fingerprint.
  std::string_view host;
  char buf[kMaxHostBytes];
  explicit operator bool() const { return !reason.empty(); }
};

// `host_port` is the authority without userinfo: "host", "host:port", "[v6]:port", "v6".
// Fills `out` (no allocation). Returns true when the host is internal.
bool classify_host(std::string_view host_port, HostMode mode, HostVerdict& out);

// Writes the WHATWG-style normalized form of `host` (percent-decoded once, tab/CR/LF removed,
// UTS #46 folding of full-width forms, ideographic full stops, circled and mathematical
// digits/letters, default-ignorables removed, ASCII lowercased) into `out`. Returns the length
// or `cap + 1` when it does not fit.
size_t normalize_host(std::string_view host, char* out, size_t cap);

}  // namespace portcullis::rules::ssrf
