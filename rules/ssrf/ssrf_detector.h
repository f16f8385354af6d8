// SSRF detector, Zen-style. Zen flags a user input that becomes the hostname of an outgoing
// request whose address is internal. A proxy cannot see the outgoing request, so it flags the
// inputs that would do that in the sinks apps actually have:
//   (a) URL-shaped inputs (the whole input, or a `scheme://` / `scheme:` URL inside it, e.g. in
//       XML or JSON text) whose host is internal in any spelling a common URL parser accepts,
//       including the hosts that other parsers would pick (userinfo and fragment confusion,
//       backslashes), and URLs with request-smuggling schemes (gopher, dict, file, jar, ...);
//   (b) inputs that are exactly a host (optionally with :port and /path), since apps also take
//       "host" fields; only unambiguous spellings fire there, so "10.1", "2130706433" or
//       "version 10.0.1 released" never do.
// Input must already be decoded (percent, entities): this detector only folds what a URL parser
// itself folds inside a host.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.context is "url" (case a), "host" (case b) or "scheme" (a smuggling scheme);
// Finding.fingerprint is the normalized host (or scheme) that fired, truncated.
std::optional<Finding> detect_ssrf(std::string_view decoded);

}  // namespace portcullis::rules
