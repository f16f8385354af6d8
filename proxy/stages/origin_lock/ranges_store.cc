#include "proxy/stages/origin_lock/ranges_store.h"

namespace portcullis::origin_lock {
namespace {}  // namespace

size_t count_entries(std::string_view text) {
  size_t n = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') ++n;
  }
  return n;
}

Result<RangesStore::Outcome> RangesStore::offer(Result<net::RangeFile> candidate,
                                                const std::string& source, size_t entries) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string why;
  if (!candidate.ok()) {
    why = "Cloudflare range list " + source + " does not parse: " + candidate.error().reason;
  } else if (candidate->set.empty()) {
    why = "Cloudflare range list " + source + " is empty";
  } else if (good_ && good_->source == source && entries * 2 < good_->ranges) {
    why = "Cloudflare range list " + source + " shrank from " + std::to_string(good_->ranges) +
          " to " + std::to_string(entries) + " entries (more than half gone: truncated download?)";
  }
  if (!why.empty()) {
    ++refused_;
    if (!good_) return make_error(why);
    return Outcome{*good_, true, why + "; keeping the last good list from " + good_->source};
  }
  RangesSnapshot snap;
  snap.ranges = entries;
  snap.taken = candidate->taken;
  snap.source = source;
  snap.set = std::make_shared<const net::CidrSet>(std::move(candidate.value().set));
  good_ = snap;
  return Outcome{std::move(snap), false, {}};
}

std::optional<RangesSnapshot> RangesStore::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return good_;
}

uint64_t RangesStore::refused_total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_;
}

std::optional<int64_t> RangesStore::age_seconds(std::chrono::system_clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!good_ || !good_->taken) return std::nullopt;
  const int64_t taken_s = good_->taken->days_since_epoch() * 86400;
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return now_s - taken_s;
}

RangesStore& process_ranges_store() {
  static RangesStore store;  // function-local: constructed on first use, no init-order issue
  return store;
}

void render_metrics(const RangesStore& store, std::chrono::system_clock::time_point now,
                    std::string& out) {
  std::optional<RangesSnapshot> cur = store.current();
  uint64_t refused = store.refused_total();
  if (!cur && refused == 0) return;
  if (std::optional<int64_t> age = store.age_seconds(now)) {
    out +=
        "# HELP portcullis_cloudflare_ranges_age_seconds Age of the Cloudflare range list in "
        "use, from its '# taken:' date.\n"
        "# TYPE portcullis_cloudflare_ranges_age_seconds gauge\n"
        "portcullis_cloudflare_ranges_age_seconds ";
    out += std::to_string(*age);
    out += '\n';
  }
  out +=
      "# HELP portcullis_cloudflare_ranges Merged Cloudflare ranges in use.\n"
      "# TYPE portcullis_cloudflare_ranges gauge\n"
      "portcullis_cloudflare_ranges ";
  out += std::to_string(cur ? cur->ranges : 0);
  out +=
      "\n# HELP portcullis_cloudflare_ranges_refused_total Range lists refused at load "
      "(unparsable, empty or shrunk by more than half).\n"
      "# TYPE portcullis_cloudflare_ranges_refused_total counter\n"
      "portcullis_cloudflare_ranges_refused_total ";
  out += std::to_string(refused);
  out += '\n';
}

void render_metrics(std::string& out) {
  render_metrics(process_ranges_store(), std::chrono::system_clock::now(), out);
}

}  // namespace portcullis::origin_lock
