// Header injection (HTTP response splitting, CWE-113): an input that a server copies into a
// response header (a redirect's Location, a Set-Cookie value) splits the header block when it
// carries a line break followed by a header of its own. The check is structural: a CR or LF, then
// a field that only HTTP understands with a value of its shape (`Set-Cookie: a=b`,
// `Location: https://...`, `Content-Length: 0`, a status line `HTTP/1.1 200`). Ordinary multi-line
// text ("Date: Friday\nLocation: main hall") does not fire: words like Location and Date need a
// protocol-shaped value. The input must already be decoded (%0d%0a, %u000a). Pure, allocation-free.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kGeneric, context "header".
std::optional<Finding> detect_header_injection(std::string_view decoded);

}  // namespace portcullis::rules
