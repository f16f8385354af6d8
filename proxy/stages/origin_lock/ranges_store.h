// RangesStore: the last good Cloudflare range list, kept across configuration reloads.
//
// The origin-lock stage is rebuilt on every reload (SIGHUP rebuilds the Runtime). A list fetched
// by a cron job can arrive truncated, empty or as an HTML error page; swapping it in would either
// lock Cloudflare out (outage) or, for an allow-all mistake, lock nobody out. So a candidate list
// is refused, and the last good one kept, when it fails to parse, is empty, or has fewer than
// half the ranges of the last good list from the same source. A list from a different source (the
// operator changed ranges_file) is a deliberate change and only has to parse and be non-empty.
// With no last good list (start-up) a refused list is an error: the proxy does not start.
//
// Thread-safe (a mutex; it is touched only at build time and by the metrics scrape).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "rules/base/result.h"
#include "rules/net/cidr_set.h"
#include "rules/net/range_file.h"

namespace portcullis::origin_lock {

struct RangesSnapshot {
  std::shared_ptr<const net::CidrSet> set;  // shared by every stage built from it
  std::optional<net::CivilDate> taken;      // "# taken:" header, if the list had one
  std::string source;                       // file path, or "<shipped>"
  size_t ranges = 0;                        // entries (CIDR lines) in the list
};

class RangesStore {
 public:
  struct Outcome {
    RangesSnapshot snapshot;  // what the stage must use
    bool refused = false;     // the candidate was refused and the last good list kept
    std::string message;      // why (for the log) when refused
  };

  // Offers a freshly parsed candidate (or its parse error). Error only when the candidate is
  // refused and there is no last good list to fall back to.
  // `entries` is the number of CIDR lines of the candidate (count_entries): the shrink rule
  // compares what the publisher listed, not merged ranges (two adjacent CIDRs merge into one).
  Result<Outcome> offer(Result<net::RangeFile> candidate, const std::string& source,
                        size_t entries);

  std::optional<RangesSnapshot> current() const;
  uint64_t refused_total() const;

  // Age in seconds of the current list (now - its "taken" date at 00:00 UTC); nullopt when there
  // is no list or it has no date.
  std::optional<int64_t> age_seconds(std::chrono::system_clock::time_point now) const;

 private:
  mutable std::mutex mu_;
  std::optional<RangesSnapshot> good_;
  uint64_t refused_ = 0;
};

// Lines of a range list that are neither blank nor comments.
size_t count_entries(std::string_view text);

// The process-wide store the stage factory uses (reloads must see the previous build's list).
RangesStore& process_ranges_store();

// Prometheus text for the admin /metrics endpoint:
//   portcullis_cloudflare_ranges_age_seconds  (gauge; omitted when the list has no date)
//   portcullis_cloudflare_ranges              (gauge; entries of the list in use)
//   portcullis_cloudflare_ranges_refused_total (counter; candidate lists refused on load/reload)
// Appends nothing when no Cloudflare list was ever loaded (lock not configured).
void render_metrics(const RangesStore& store, std::chrono::system_clock::time_point now,
                    std::string& out);
void render_metrics(std::string& out);  // process_ranges_store(), system clock

}  // namespace portcullis::origin_lock
