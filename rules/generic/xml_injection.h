// XML injection that makes a parser fetch or expand something: external entities (XXE, OWASP
// "XML External Entity Prevention"), entity declarations in an internal DTD subset (billion
// laughs), external DTDs, XInclude (`xi:include`) and XSLT stylesheets (which reach files through
// `document()` and extension functions). Judged on markup declarations, not on keywords: the word
// SYSTEM in prose is nothing, `<!ENTITY x SYSTEM "...">` is an external entity.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kGeneric; context "xml".
std::optional<Finding> detect_xml_injection(std::string_view decoded);

}  // namespace portcullis::rules
