// UserKey: the user id of a request for `key: user` rules and the blocked-users list.
//   1. the configured header (e.g. X-User-Id set by an authenticating proxy in front), else
//   2. a JWT (RFC 7519) in the configured header ("Authorization: Bearer <jwt>" or a bare token):
//      the payload (second segment) is base64url-decoded (RFC 4648 section 5) and the configured
//      claim read from its top-level JSON object (a string, or a number taken as its text).
// The signature is NOT checked (out of scope): a forged token only chooses which bucket is
// charged, which gains an attacker nothing a fresh IP would not; never authorise with it.
// Bounded: tokens over 8 KiB and ids over 128 bytes are ignored; no allocation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/http/request_parser.h"

namespace portcullis::rate_limit {

struct UserKeySettings {
  std::string header;                        // lowercase, "" = none
  std::string jwt_header = "authorization";  // lowercase, "" = no JWT
  std::string jwt_claim = "sub";
};

inline constexpr size_t kMaxUserId = 128;

// The user id copied into out (kMaxUserId bytes), or an empty view when the request has none.
std::string_view extract_user(const UserKeySettings& s, const http::RequestHead& head,
                              char (&out)[kMaxUserId]);

// The claim from a compact JWT ("header.payload.signature"); empty view if absent/invalid.
std::string_view jwt_claim(std::string_view token, std::string_view claim, char (&out)[kMaxUserId]);

// base64url without padding (padding '=' tolerated); returns false on a bad character or if the
// output does not fit in cap.
bool base64url_decode(std::string_view in, char* out, size_t cap, size_t* out_len);

// Value of the first header named `lowercase_name` (ASCII case-insensitive), or nullptr.
const std::string_view* find_header(const http::RequestHead& head, std::string_view lowercase_name);

}  // namespace portcullis::rate_limit
