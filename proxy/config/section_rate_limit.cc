// rate_limit: per-route GCRA limits, auto-blocking and the shared Redis mode. Only the shape and
// the grammar of each value are checked here; the stage (proxy/stages/rate_limit) compiles the
// rules, the scanner patterns and the Redis URL when it is built.
#include <algorithm>
#include <array>

#include "proxy/config/rate_limit_config.h"
#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s.substr(0, 128)) + "'"; }

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A header field name (RFC 9110 section 5.1), lowercased; "" allowed (= none).
Result<std::string> parse_header_name_or_empty(std::string_view text) {
  if (text.size() > 64) return make_error("header name must be at most 64 characters");
  std::string out;
  for (char c : text) {
    if (!is_tchar(c)) return make_error("header name " + quoted(text) + " is not a token");
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

Result<std::string> parse_rule_name(std::string_view text) {
  if (text.empty() || text.size() > 64) return make_error("name must be 1..64 characters");
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return make_error("name " + quoted(text) + " may hold only A-Z a-z 0-9 - _ .");
  }
  return std::string(text);
}

Result<std::string> parse_path_pattern(std::string_view text) {
  if (text == "*") return std::string(text);
  if (text.empty() || text.front() != '/') {
    return make_error("path " + quoted(text) + " must be \"*\" or start with '/'");
  }
  size_t star = text.find('*');
  if (star != std::string_view::npos && star != text.size() - 1) {
    return make_error("path " + quoted(text) + ": '*' is only allowed at the end (prefix match)");
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '?' || c == '#') {
      return make_error("path " + quoted(text) + " has a space, control, '?' or '#' character");
    }
  }
  return std::string(text);
}

Result<RedisFailurePolicy> parse_failure_policy(std::string_view text) {
  if (text == "fail_open") return RedisFailurePolicy::kFailOpen;
  if (text == "fail_closed") return RedisFailurePolicy::kFailClosed;
  if (text == "local") return RedisFailurePolicy::kLocal;
  return make_error("expected fail_open, fail_closed or local; got " + quoted(text));
}

Result<uint16_t> parse_block_status(std::string_view text) {
  if (text == "403") return uint16_t{403};
  if (text == "429") return uint16_t{429};
  return make_error("expected 403 or 429; got " + quoted(text));
}

Result<std::string> parse_redis_url(std::string_view text) {
  if (text.empty()) return std::string();
  if (text.substr(0, 8) != "redis://" && text.substr(0, 9) != "rediss://")
    return make_error("expected redis[s]://[:password@]host:port[/db]");
  return std::string(text);
}

Result<std::string> parse_key_prefix(std::string_view text) {
  if (text.empty() || text.size() > 64) return make_error("key_prefix must be 1..64 characters");
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '{' || c == '}') {
      return make_error("key_prefix must not contain spaces, controls or braces");
    }
  }
  return std::string(text);
}

Result<std::string> parse_nonempty(std::string_view text) {
  if (text.empty()) return make_error("must not be empty");
  return std::string(text);
}

void parse_key(const Entry& e, Reader& r, RateLimitRule& rule) {
  std::optional<std::string> text = r.scalar(e, "ip, user, route or header:NAME");
  if (!text) return;
  std::string_view t = *text;
  if (t == "ip") {
    rule.key = RateKeyKind::kIp;
  } else if (t == "user") {
    rule.key = RateKeyKind::kUser;
  } else if (t == "route") {
    rule.key = RateKeyKind::kRoute;
  } else if (t.substr(0, 7) == "header:" && t.size() > 7) {
    auto name = parse_header_name_or_empty(t.substr(7));
    if (!name.ok()) {
      r.error_in(e, name.error().reason);
      return;
    }
    rule.key = RateKeyKind::kHeader;
    rule.key_header = std::move(name).value();
  } else {
    r.error_in(e, "expected ip, user, route or header:NAME; got " + quoted(t));
    return;
  }
  r.mark_set(e);
}

void parse_methods(const Entry& e, Reader& r, std::vector<std::string>& out) {
  out.clear();
  r.for_each_item(e, /*scalar_is_list=*/true, [&](const Entry& item) {
    std::string m;
    if (!r.read(item, "an HTTP method", parse_method, &m)) return;
    if (std::find(out.begin(), out.end(), m) != out.end()) {
      r.error_in(item, "duplicate method '" + m + "'");
      return;
    }
    out.push_back(std::move(m));
  });
}

void parse_rule(const Entry& e, Reader& r, size_t index, RateLimitRule& rule) {
  rule.name = "rule" + std::to_string(index);
  static constexpr std::array<std::string_view, 8> kKeys{"name",  "methods", "path",  "key",
                                                         "limit", "period",  "burst", "mode"};
  bool has_limit = false;
  r.for_each_key(e, e.path, kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "name") {
      r.read(kv, "a policy name", parse_rule_name, &rule.name);
    } else if (key == "methods") {
      parse_methods(kv, r, rule.methods);
    } else if (key == "path") {
      r.read(kv, "a path pattern", parse_path_pattern, &rule.path);
    } else if (key == "key") {
      parse_key(kv, r, rule);
    } else if (key == "limit") {
      has_limit = r.read_number(kv, false, 1, 1000000000, &rule.limit);
    } else if (key == "period") {
      r.read(kv, "a duration", parse_duration, &rule.period);
    } else if (key == "burst") {
      r.read_number(kv, false, 0, 1000000000, &rule.burst);
    } else if (key == "mode") {
      r.read(kv, "enforce, monitor or off", parse_stage_mode, &rule.mode);
    }
  });
  if (!has_limit && e.value.IsMap()) r.error_in(e, "a rule needs 'limit'");
  // GCRA needs an emission interval of at least 1 ns: limit <= period in ns.
  if (has_limit && static_cast<uint64_t>(rule.period.count()) * 1000000ull < rule.limit) {
    r.error_in(e, "limit is larger than the period in nanoseconds");
  }
}

void parse_string_list(const Entry& e, Reader& r, std::string_view what,
                       Result<std::string> (*parse)(std::string_view),
                       std::vector<std::string>& out) {
  out.clear();
  r.for_each_item(e, /*scalar_is_list=*/true, [&](const Entry& item) {
    std::string v;
    if (r.read(item, what, parse, &v)) out.push_back(std::move(v));
  });
  r.mark_set(e);
}

void parse_auto_block(const Entry& e, Reader& r, AutoBlockConfig& a) {
  static constexpr std::array<std::string_view, 7> kKeys{
      "enabled", "threshold", "window", "duration", "status", "count", "scanner_paths"};
  r.for_each_key(e, "rate_limit.auto_block", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "enabled") {
      r.read(kv, "true or false", parse_bool, &a.enabled);
    } else if (key == "threshold") {
      r.read_number(kv, false, 1, 1000000, &a.threshold);
    } else if (key == "window") {
      r.read(kv, "a duration", parse_duration, &a.window);
    } else if (key == "duration") {
      r.read(kv, "a duration", parse_duration, &a.duration);
    } else if (key == "status") {
      r.read(kv, "403 or 429", parse_block_status, &a.status);
    } else if (key == "count") {
      a.count_detections = a.count_origin_lock = a.count_scanner = false;
      r.for_each_item(kv, /*scalar_is_list=*/true, [&](const Entry& item) {
        std::optional<std::string> t = r.scalar(item, "detections, origin_lock or scanner");
        if (!t) return;
        if (*t == "detections") {
          a.count_detections = true;
        } else if (*t == "origin_lock") {
          a.count_origin_lock = true;
        } else if (*t == "scanner") {
          a.count_scanner = true;
        } else {
          r.error_in(item, "expected detections, origin_lock or scanner; got " + quoted(*t));
        }
      });
    } else if (key == "scanner_paths") {
      parse_string_list(kv, r, "a path pattern", parse_nonempty, a.scanner_paths);
    }
  });
}

void parse_redis_tls(const Entry& e, Reader& r, RedisTlsConfig& t) {
  static constexpr std::array<std::string_view, 5> kKeys{"ca_file", "cert_file", "key_file",
                                                         "server_name", "verify"};
  r.for_each_key(e, "rate_limit.redis.tls", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "ca_file") {
      r.read(kv, "a file path", parse_nonempty, &t.ca_file);
    } else if (key == "cert_file") {
      r.read(kv, "a file path", parse_nonempty, &t.cert_file);
    } else if (key == "key_file") {
      r.read(kv, "a file path", parse_nonempty, &t.key_file);
    } else if (key == "server_name") {
      r.read(kv, "a host name or IP", parse_nonempty, &t.server_name);
    } else if (key == "verify") {
      r.read(kv, "true or false", parse_bool, &t.verify);
    }
  });
}

void parse_redis(const Entry& e, Reader& r, RedisConfig& c) {
  static constexpr std::array<std::string_view, 5> kKeys{"url", "timeout", "on_failure",
                                                         "key_prefix", "tls"};
  r.for_each_key(e, "rate_limit.redis", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "url") {
      r.read(kv, "a redis:// or rediss:// URL", parse_redis_url, &c.url);
    } else if (key == "tls") {
      parse_redis_tls(kv, r, c.tls);
    } else if (key == "timeout") {
      r.read(kv, "a duration", parse_duration, &c.timeout);
      if (c.timeout.count() > 10000) r.error_in(kv, "timeout above 10s would let requests hang");
    } else if (key == "on_failure") {
      r.read(kv, "fail_open, fail_closed or local", parse_failure_policy, &c.on_failure);
    } else if (key == "key_prefix") {
      r.read(kv, "a key prefix", parse_key_prefix, &c.key_prefix);
    }
  });
}

void parse_user(const Entry& e, Reader& r, UserKeyConfig& u) {
  static constexpr std::array<std::string_view, 3> kKeys{"header", "jwt_header", "jwt_claim"};
  r.for_each_key(e, "rate_limit.user", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "header") {
      r.read(kv, "a header name", parse_header_name_or_empty, &u.header);
    } else if (key == "jwt_header") {
      r.read(kv, "a header name", parse_header_name_or_empty, &u.jwt_header);
    } else if (key == "jwt_claim") {
      r.read(kv, "a claim name", parse_nonempty, &u.jwt_claim);
    }
  });
}

}  // namespace

std::string_view to_string(RateKeyKind k) {
  switch (k) {
    case RateKeyKind::kIp:
      return "ip";
    case RateKeyKind::kUser:
      return "user";
    case RateKeyKind::kHeader:
      return "header";
    case RateKeyKind::kRoute:
      return "route";
  }
  return "ip";
}

std::string_view to_string(RedisFailurePolicy p) {
  switch (p) {
    case RedisFailurePolicy::kFailOpen:
      return "fail_open";
    case RedisFailurePolicy::kFailClosed:
      return "fail_closed";
    case RedisFailurePolicy::kLocal:
      return "local";
  }
  return "fail_open";
}

void parse_rate_limit_section(const Entry& e, Reader& r, Config& out) {
  RateLimitConfig& c = out.rate_limit;
  static constexpr std::array<std::string_view, 6> kKeys{"mode",  "table_size", "user",
                                                         "rules", "auto_block", "redis"};
  r.for_each_key(e, "rate_limit", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "mode") {
      r.read(kv, "enforce, monitor or off", parse_stage_mode, &c.mode);
    } else if (key == "table_size") {
      r.read_number(kv, false, 1024, 1ull << 28, &c.table_size);
    } else if (key == "user") {
      parse_user(kv, r, c.user);
    } else if (key == "rules") {
      c.rules.clear();
      size_t index = 0;
      r.for_each_item(kv, /*scalar_is_list=*/false, [&](const Entry& item) {
        RateLimitRule rule;
        parse_rule(item, r, index++, rule);
        for (const RateLimitRule& other : c.rules) {
          if (other.name == rule.name) r.error_in(item, "duplicate rule name " + quoted(rule.name));
        }
        c.rules.push_back(std::move(rule));
      });
      if (c.rules.size() > 64) r.error_in(kv, "at most 64 rules");
    } else if (key == "auto_block") {
      parse_auto_block(kv, r, c.auto_block);
    } else if (key == "redis") {
      parse_redis(kv, r, c.redis);
    }
  });
}

}  // namespace portcullis::config
