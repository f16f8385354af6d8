// Location patterns for exclusions and routes: '*' matches any run of characters (also none),
// everything else matches itself. "query:q", "body.json:user.*", "*:password", "/api/*".
// Iterative with a single backtrack point (the classic wildcard matcher): O(n*m) worst case on
// bounded strings, no recursion, no allocation.
#pragma once

#include <string_view>

namespace portcullis::rules {

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace portcullis::rules
