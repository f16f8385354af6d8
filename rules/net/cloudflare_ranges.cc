#include "rules/net/cloudflare_ranges.h"

namespace portcullis::net {

Result<RangeFile> cloudflare_ranges() {
  Result<RangeFile> v4 = parse_range_file(cloudflare_ips_v4_text(), "cloudflare-ips-v4.txt");
  if (!v4.ok()) return v4.error();
  Result<RangeFile> v6 = parse_range_file(cloudflare_ips_v6_text(), "cloudflare-ips-v6.txt");
  if (!v6.ok()) return v6.error();
  RangeFile out;
  out.set = CidrSet::merge(v4->set, v6->set);
  if (v4->taken && v6->taken) {
    out.taken =
        v4->taken->days_since_epoch() <= v6->taken->days_since_epoch() ? v4->taken : v6->taken;
  }
  return out;
}

}  // namespace portcullis::net
