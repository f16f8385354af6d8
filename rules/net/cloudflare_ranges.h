// The Cloudflare edge ranges shipped in rules/data/, embedded at build time so the proxy's
// origin lock works without any file on disk (an operator file can still replace them).
#pragma once

#include <string_view>

#include "rules/base/result.h"
#include "rules/net/range_file.h"

namespace portcullis::net {

// The data files, byte for byte (generated source, see rules/net/CMakeLists.txt).
std::string_view cloudflare_ips_v4_text();
std::string_view cloudflare_ips_v6_text();

// Both lists parsed and merged into one set; taken is the older of the two files' dates (unset
// if either file lacks the header).
// Fails only if the shipped data is broken (a test keeps it from being).
Result<RangeFile> cloudflare_ranges();

}  // namespace portcullis::net
