// ScannerPaths: recognises requests that probe for files no real visitor asks for: leaked secrets
// (/.env, /.aws/credentials, /.git/config), admin panels of software the site may not run
// (/wp-admin/, /phpmyadmin/), and backup copies (index.php.bak, db.sql, site.tar.gz, config~).
// Vulnerability scanners send hundreds of these in a burst (cf. the scanner-* lists of Aikido Zen),
// so they are strikes for the auto-block, not blocks by themselves.
//
// Pattern grammar (shipped list + `rate_limit.auto_block.scanner_paths`), all ASCII
// case-insensitive, matched against the normalised path (route_match.h):
//   ".*"          any segment starting with '.', except .well-known (RFC 8615)
//   "stem.*"      the LAST segment is stem.<ext>, ext not a page asset (js, css, json, html...)
//   "name"        any path SEGMENT equal to name         ("wp-admin" matches /blog/wp-admin/)
//   "*.ext"       the LAST segment ends with .ext         ("*.bak" matches /index.php.bak)
//   "*~"          the last segment ends with ~ (editor backups)
//   "/a/b"        the path starts with /a/b at a segment boundary
// Lookups are a hash of each segment into a flat set: cost grows with the segments of the path,
// not with the size of the list.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "rules/base/result.h"

namespace portcullis::rate_limit {

class ScannerPaths {
 public:
  // The shipped list plus `extra` patterns.
  static Result<ScannerPaths> build(std::span<const std::string> extra);
  static std::span<const std::string_view> shipped_patterns();

  bool matches(std::string_view normalized_path) const;
  size_t size() const {
    return segments_.size() + stems_.size() + suffixes_.size() + prefixes_.size();
  }

 private:
  Status add(std::string_view pattern);
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> segments_;  // lowercase
  std::unordered_set<std::string, Hash, std::equal_to<>> stems_;     // lowercase
  bool dot_segments_ = false;
  std::vector<std::string> suffixes_;  // lowercase, e.g. ".bak", "~"
  std::vector<std::string> prefixes_;  // lowercase, e.g. "/cgi-bin/php"
};

}  // namespace portcullis::rate_limit
