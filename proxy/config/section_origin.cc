// origin: where allowed traffic is forwarded, and how upstream connections are pooled.
#include <array>

#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {

// origin: "host:port" | "http://host:port" | {address: ..., max_idle: N, retry_idempotent: bool}
void parse_origin_section(const Entry& e, Reader& r, Config& out) {
  if (e.value.IsScalar()) {
    r.read(e, "an origin address", parse_origin_address, &out.upstream.address);
    return;
  }
  if (e.value.IsNull()) {
    r.error_in(e, "an origin address is required (e.g. 127.0.0.1:3000)");
    return;
  }
  static constexpr std::array<std::string_view, 3> kKeys{"address", "max_idle", "retry_idempotent"};
  r.for_each_key(e, "origin", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "address") {
      r.read(kv, "an origin address", parse_origin_address, &out.upstream.address);
    } else if (key == "max_idle") {
      r.read_number(kv, /*size_units=*/false, 0, 10000, &out.upstream.max_idle_per_worker);
    } else if (key == "retry_idempotent") {
      r.read(kv, "true or false", parse_bool, &out.upstream.retry_idempotent);
    }
  });
}

}  // namespace portcullis::config
