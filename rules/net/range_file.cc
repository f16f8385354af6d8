#include "rules/net/range_file.h"

#include <string>

namespace portcullis::net {
namespace {

bool digits(std::string_view s, unsigned* out) {
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *out = v;
  return !s.empty();
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<CivilDate> CivilDate::parse(std::string_view t) {
  unsigned y = 0, m = 0, d = 0;
  if (t.size() != 10 || t[4] != '-' || t[7] != '-' || !digits(t.substr(0, 4), &y) ||
      !digits(t.substr(5, 2), &m) || !digits(t.substr(8, 2), &d)) {
    return make_error("date is not YYYY-MM-DD");
  }
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return make_error("month out of range");
  unsigned max_day = kDays[m - 1] + ((m == 2 && is_leap(static_cast<int>(y))) ? 1 : 0);
  if (d < 1 || d > max_day) return make_error("day out of range");
  return CivilDate{static_cast<int>(y), m, d};
}

int64_t CivilDate::days_since_epoch() const {
  // Howard Hinnant's days_from_civil.
  int64_t y = year - (month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Result<RangeFile> parse_range_file(std::string_view text, std::string_view source_name) {
  RangeFile file;
  std::string_view rest = text;
  size_t line_no = 0;
  while (!rest.empty()) {
    ++line_no;
    size_t nl = rest.find('\n');
    std::string_view line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty()) continue;
    if (line[0] != '#') break;  // end of the leading comment block
    std::string_view body = trim(line.substr(1));
    constexpr std::string_view kTaken = "taken:";
    if (body.substr(0, kTaken.size()) != kTaken) continue;
    auto where = std::string(source_name) + ":" + std::to_string(line_no) + ": ";
    if (file.taken) return make_error(where + "second 'taken:' header");
    Result<CivilDate> date = CivilDate::parse(trim(body.substr(kTaken.size())));
    if (!date.ok()) return make_error(where + "bad 'taken:' header: " + date.error().reason);
    file.taken = *date;
  }
  Result<CidrSet> set = CidrSet::parse(text, source_name);
  if (!set.ok()) return set.error();
  file.set = std::move(*set);
  return file;
}

}  // namespace portcullis::net
