// Prototype pollution (CWE-1321). A deep merge, `_.set`, `qs` or a hand-written "assign path"
// that walks user-controlled keys reaches Object.prototype through `__proto__`, or through
// `constructor` then `prototype`, and every object in the process inherits the attacker's
// property (auth flags, template options, child_process `shell`/`NODE_OPTIONS`).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// A key path as the app would walk it: JSON object keys from the root, or bracket segments
// (see bracket_key.h). Fires on a `__proto__` segment, on `constructor` directly followed by
// `prototype`, and on segments that themselves hold such a dotted path ("__proto__.x",
// "constructor.prototype" as one JSON key, for `_.set`-style sinks). Finding.context = "path".
std::optional<Finding> detect_proto_path(std::span<const std::string_view> key_path);

// A decoded string value that holds a path, query string, JSON or JavaScript text naming the
// prototype: `a[__proto__][x]=1`, `{"__proto__": {...}}`, `x.constructor.prototype.y`,
// `constructor[prototype][x]`. Finding.context = "value".
std::optional<Finding> detect_proto_value(std::string_view decoded);

}  // namespace portcullis::rules
