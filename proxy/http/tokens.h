// Small ASCII helpers over header values, used by the parsers and by the connection code.
#pragma once

#include <string_view>

namespace portcullis::http {

// ASCII case-insensitive equality (header names, tokens). Bytes >= 0x80 compare exactly.
bool iequals(std::string_view a, std::string_view b);

// True if the comma-separated list (RFC 9110 5.6.1: elements separated by "," with OWS, empty
// elements allowed) contains `token`, compared case-insensitively. "keep-alive, Upgrade" contains
// "upgrade"; "keep-alive-x" does not contain "keep-alive".
bool has_token(std::string_view comma_list, std::string_view token);

// Trims leading and trailing SP / HTAB.
std::string_view trim_ows(std::string_view s);

}  // namespace portcullis::http
