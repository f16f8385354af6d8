// RouteMatch: which requests a rate-limit rule applies to: a method set and a path pattern.
//   "*"        every path
//   "/login"   exactly /login (the query is never part of the match)
//   "/api/*"   /api, /api/ and everything below (a segment prefix: /apix is NOT matched)
// Matching is on the raw path bytes, case-sensitive (paths are case-sensitive, RFC 3986 6.2.2.1).
// An attacker can write /login as //login or /./login or /%6cogin; origins that normalise such
// paths would serve the login page outside the limit, so the path is normalised first: percent-
// decoding of unreserved characters, "//" collapsed, "." and ".." segments resolved.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::rate_limit {

class RouteMatch {
 public:
  RouteMatch(std::vector<std::string> methods, std::string path_pattern);
  // `path` is the normalised path (normalize_path); method as on the wire.
  bool matches(std::string_view method, std::string_view normalized_path) const;

 private:
  std::vector<std::string> methods_;  // empty = any
  std::string pattern_;               // without the trailing '*'
  bool any_ = false;
  bool prefix_ = false;
};

// Writes the normalised form of the path part of `target` (query and fragment dropped) into
// out[0..cap) and returns its length; a path longer than cap is truncated (still a prefix).
size_t normalize_path(std::string_view target, char* out, size_t cap);

}  // namespace portcullis::rate_limit
