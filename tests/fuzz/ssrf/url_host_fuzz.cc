// libFuzzer target for the URL/host parsing behind detect_ssrf: the whole detector, the host
// classifier in both modes, and the IPv4/IPv6 parsers, with invariants checked on the way.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/ssrf/host_classifier.h"
#include "rules/ssrf/ip_address.h"
#include "rules/ssrf/ssrf_detector.h"

using namespace portcullis::rules;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto f = detect_ssrf(in)) {
    if (f->detector != Detector::kSsrf || f->reason.empty() || f->context.empty()) std::abort();
  }
  ssrf::HostVerdict v;
  for (auto mode : {ssrf::HostMode::kUrl, ssrf::HostMode::kBare}) {
    bool hit = ssrf::classify_host(in, mode, v);
    if (hit == v.reason.empty()) std::abort();
    if (v.host.size() > ssrf::kMaxHostBytes) std::abort();
  }
  // Bare mode is stricter than URL mode for IPv4: a four-part address parses in both, alike.
  if (auto four = ssrf::parse_ipv4_four_parts(in)) {
    ssrf::Ipv4Parse p = ssrf::parse_ipv4_whatwg(in);
    if (p.kind != ssrf::Ipv4Parse::Kind::kIpv4 || p.addr != *four) std::abort();
  }
  if (auto a = ssrf::parse_ipv6(in)) (void)ssrf::classify_ipv6(*a);
  return 0;
}
