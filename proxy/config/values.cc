#include "proxy/config/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <thread>
#include <vector>

namespace portcullis::config {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "'";
  out.append(text);
  out += "'";
  return out;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// Splits "123abc" into digits and suffix; returns false if there are no leading digits.
bool split_number(std::string_view text, uint64_t* number, std::string_view* suffix,
                  bool* overflow) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *number);
  if (ptr == text.data()) return false;
  *overflow = ec == std::errc::result_out_of_range;
  *suffix = std::string_view(ptr, static_cast<size_t>(end - ptr));
  return true;
}

bool is_ipv4(const std::string& host) {
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr a{};
  return inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

// RFC 1123 host name: labels of [A-Za-z0-9-], not starting or ending with '-', <= 63 bytes each,
// <= 253 in total. Underscore is accepted (common in container service names).
bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char c : host) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_';
      if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return prev != '-' && prev != '.';
}

// RFC 9110 section 5.6.2 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return kSpecials.find(c) != std::string_view::npos;
}

}  // namespace

Result<uint64_t> parse_uint(std::string_view text) {
  if (text.empty()) return make_error("expected an unsigned integer, got an empty value");
  uint64_t n = 0;
  std::string_view suffix;
  bool overflow = false;
  if (!split_number(text, &n, &suffix, &overflow) || !suffix.empty()) {
    return make_error("expected an unsigned integer, got " + quoted(text));
  }
  if (overflow) return make_error("integer " + quoted(text) + " is too large");
  return n;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  bool overflow = false;
  if (!split_number(text, &n, &unit, &overflow)) {
    return make_error("expected a duration like 10s, 500ms, 2m, 1h or milliseconds, got " +
                      quoted(text));
  }
  uint64_t ms_per_unit = 0;
  if (unit.empty() || unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "m") {
    ms_per_unit = 60 * 1000;
  } else if (unit == "h") {
    ms_per_unit = 3600 * 1000;
  } else {
    return make_error("unknown duration unit " + quoted(unit) + " in " + quoted(text) +
                      " (use ms, s, m or h)");
  }
  const uint64_t max = static_cast<uint64_t>(kMaxDuration.count());
  if (overflow || n > max / ms_per_unit) {
    return make_error("duration " + quoted(text) + " is longer than the maximum of 24h");
  }
  if (n == 0) return make_error("duration must be greater than 0");
  return std::chrono::milliseconds(static_cast<int64_t>(n * ms_per_unit));
}

Result<uint64_t> parse_size(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  bool overflow = false;
  if (!split_number(text, &n, &unit, &overflow)) {
    return make_error("expected a size like 16k, 10MiB, 1g or bytes, got " + quoted(text));
  }
  struct Unit {
    std::string_view name;
    int shift;
  };
  static constexpr std::array<Unit, 11> kUnits{{{"", 0},
                                                {"b", 0},
                                                {"k", 10},
                                                {"kb", 10},
                                                {"kib", 10},
                                                {"m", 20},
                                                {"mb", 20},
                                                {"mib", 20},
                                                {"g", 30},
                                                {"gb", 30},
                                                {"gib", 30}}};
  int shift = -1;
  for (const Unit& u : kUnits) {
    if (iequals(unit, u.name)) shift = u.shift;
  }
  if (shift < 0) {
    return make_error("unknown size unit " + quoted(unit) + " in " + quoted(text) +
                      " (use k, KiB, m, MiB, g, GiB or bytes)");
  }
  if (overflow || n > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return make_error("size " + quoted(text) + " is too large");
  }
  return n << shift;
}

Result<HostPort> parse_host_port(std::string_view text, AddressUse use) {
  const std::string shown = quoted(text);
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return make_error("missing ']' in IPv6 address " + shown);
    }
    host.assign(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return make_error("expected ':port' after ']' in " + shown);
    }
    port_text = rest.substr(1);
    if (!is_ipv6(host)) return make_error("invalid IPv6 address in " + shown);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return make_error("expected host:port, got " + shown);
    }
    if (text.find(':') != colon) {
      return make_error("IPv6 addresses must be written in brackets, e.g. '[::1]:8080', got " +
                        shown);
    }
    host.assign(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.empty() || host == "*") {
      if (use == AddressUse::kOrigin) return make_error("origin host is missing in " + shown);
      host = "0.0.0.0";
    } else if (use != AddressUse::kOrigin && host == "localhost") {
      host = "127.0.0.1";
    } else if (!is_ipv4(host)) {
      if (use != AddressUse::kOrigin) {
        return make_error("listen host must be an IP address, '*' or 'localhost', got " + shown);
      }
      if (!is_dns_name(host)) return make_error("invalid host name in " + shown);
    }
  }
  if (port_text.empty()) return make_error("missing port in " + shown);
  uint64_t port = 0;
  std::string_view suffix;
  bool overflow = false;
  if (!split_number(port_text, &port, &suffix, &overflow) || !suffix.empty()) {
    return make_error("invalid port in " + shown);
  }
  // Listeners (proxy and admin) may ask for an ephemeral port (0): tests and side-by-side runs.
  const uint64_t min_port = use == AddressUse::kOrigin ? 1 : 0;
  if (overflow || port < min_port || port > 65535) {
    return make_error("port must be between " + std::to_string(min_port) + " and 65535 in " +
                      shown);
  }
  return HostPort{std::move(host), static_cast<uint16_t>(port)};
}

Result<HostPort> parse_origin_address(std::string_view text) {
  constexpr std::string_view kHttp = "http://";
  if (text.size() >= kHttp.size() && iequals(text.substr(0, kHttp.size()), kHttp)) {
    std::string_view rest = text.substr(kHttp.size());
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos) {
      if (rest.substr(slash) != "/") {
        return make_error("origin URL must not have a path, query or fragment, got " +
                          quoted(text) + " (path rewriting is not supported)");
      }
      rest = rest.substr(0, slash);
    }
    if (rest.find('@') != std::string_view::npos) {
      return make_error("origin URL must not contain user info, got " + quoted(text));
    }
    // http:// without a port means 80 (RFC 9110 section 4.2.1).
    bool has_port;
    if (!rest.empty() && rest.front() == '[') {
      size_t close = rest.find(']');
      has_port = close != std::string_view::npos && close + 1 < rest.size();
    } else {
      has_port = rest.find(':') != std::string_view::npos;
    }
    if (!has_port) {
      std::string with_port(rest);
      with_port += ":80";
      return parse_host_port(with_port, AddressUse::kOrigin);
    }
    return parse_host_port(rest, AddressUse::kOrigin);
  }
  if (text.find("://") != std::string_view::npos) {
    return make_error(
        "origin URL scheme must be http:// (upstream TLS is not supported yet), got " +
        quoted(text));
  }
  return parse_host_port(text, AddressUse::kOrigin);
}

Result<uint32_t> parse_workers(std::string_view text) {
  if (text == "auto") {
    unsigned hc = std::thread::hardware_concurrency();
    return std::clamp<uint32_t>(hc, 1, kMaxWorkers);
  }
  auto n = parse_uint(text);
  if (!n.ok()) return make_error("expected 'auto' or a number of workers, got " + quoted(text));
  if (*n < 1 || *n > kMaxWorkers) {
    return make_error("workers must be 'auto' or between 1 and " + std::to_string(kMaxWorkers) +
                      ", got " + quoted(text));
  }
  return static_cast<uint32_t>(*n);
}

Result<StageMode> parse_stage_mode(std::string_view text) {
  if (text == "enforce") return StageMode::kEnforce;
  if (text == "monitor") return StageMode::kMonitor;
  if (text == "off") return StageMode::kOff;
  return make_error("mode must be one of enforce, monitor, off; got " + quoted(text));
}

Result<std::string> parse_method(std::string_view text) {
  if (text.empty()) return make_error("HTTP method must not be empty");
  if (text.size() > 32) return make_error("HTTP method " + quoted(text) + " is too long");
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (!is_tchar(c)) {
      return make_error("HTTP method " + quoted(text) + " is not a valid token (RFC 9110 5.6.2)");
    }
    out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

Result<bool> parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return make_error("expected true or false, got " + quoted(text));
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace portcullis::config
