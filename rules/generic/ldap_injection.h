// LDAP filter injection (CWE-90): an input placed in a search filter such as `(uid=INPUT)` changes
// the filter's structure when it closes the assertion with `)` and opens a new filter component:
// `*)(uid=*))(|(uid=*`, `admin)(|(password=*)`, `x*)(&`. RFC 4515 sec. 3 grammar: a filter is
// `(` filtercomp `)` with filtercomp = `&` list / `|` list / `!` filter / item, and an item starts
// with an attribute description followed by `=`, `~=`, `>=` or `<=`. So the check is: a `)`,
// then one or more `(`, then `&`, `|`, `!`, or an attribute description and a filter operator.
// Prose with brackets ("(see p. 3)(fig. 2)") never has the operator. Pure, allocation-free.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kGeneric, context "ldap".
std::optional<Finding> detect_ldap_injection(std::string_view decoded);

}  // namespace portcullis::rules
