// RangeFile: a CIDR list file plus its provenance header.
//
// Shipped lists (rules/data/cloudflare-ips-v*.txt) carry a header comment line
//   # taken: 2026-12-04
// saying when the list was copied from its publisher. The proxy exports the list's age from it
// so an operator notices a stale origin lock (Cloudflare adds ranges rarely, but it does).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "rules/base/result.h"
#include "rules/net/cidr_set.h"

namespace portcullis::net {

struct CivilDate {
  int year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31, valid for the month (leap years included)

  // Strictly "YYYY-MM-DD" (four, two, two digits).
  static Result<CivilDate> parse(std::string_view text);
  // Days since 1970-01-01 (proleptic Gregorian); the list's age is now_days - this.
  int64_t days_since_epoch() const;
  friend bool operator==(const CivilDate&, const CivilDate&) = default;
};

struct RangeFile {
  CidrSet set;
  std::optional<CivilDate> taken;  // from "# taken: YYYY-MM-DD", if the file has one
};

// Parses the list (CidrSet::parse rules) and the "# taken:" line, which counts only in the
// leading comment block (before the first entry). A malformed or repeated "taken" line is an
// error naming source:line.
Result<RangeFile> parse_range_file(std::string_view text, std::string_view source_name);

}  // namespace portcullis::net
