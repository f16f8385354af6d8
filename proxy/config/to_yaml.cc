// The effective config as YAML (for --print-config and the admin endpoint). Emits every key of
// every section, so what an operator sees is what runs, including defaults and environment
// overrides, and load_config_string(to_yaml(c)) == redact_secrets(c) (== c when no URL carries a
// secret; tests/proxy/config/to_yaml_test.cc and fuzz_config.cc hold it).
//
// Two rules keep the round trip exact:
// - every free-form string is double-quoted: a header value "true", a glob "*.php" or a pattern
//   "# x" would otherwise come back as a bool, an alias or a comment;
// - a string that is not valid UTF-8 (a byte-mode PCRE2 pattern may hold any byte) is written by
//   hand with its raw bytes: yaml-cpp's emitter would replace them with U+FFFD;
// - a key whose grammar refuses the empty string (ranges_file, client_ca, tls.server_name, ...)
//   is left out when it is empty, which loads back as the same empty default.
#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>

#include "proxy/config/config.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

// The mask the audit excerpts use (proxy/audit/auditor.cc), so one grep finds every redaction.
constexpr std::string_view kMask = "[REDACTED]";

std::string duration_text(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Sizes are shown with the largest exact binary unit ("16KiB"), as an operator would write them.
std::string size_text(uint64_t bytes) {
  if (bytes != 0 && bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
  if (bytes != 0 && bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes != 0 && bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes);
}

// Shortest text that strtod() reads back as the same double (audit.access_sample).
std::string double_text(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "1";
  return std::string(buf, end);
}

std::string priority_text(uint8_t p) { return "P" + std::to_string(p); }

std::string facility_text(uint8_t f) {
  if (f >= 16 && f <= 23) return "local" + std::to_string(f - 16);
  if (f == 1) return "user";
  if (f == 3) return "daemon";
  if (f == 4) return "auth";
  return "local0";  // not reachable from a loaded config
}

std::string_view format_text(AuditHttpFormat f) {
  switch (f) {
    case AuditHttpFormat::kNdjson:
      return "ndjson";
    case AuditHttpFormat::kElasticBulk:
      return "elasticsearch";
    case AuditHttpFormat::kSplunkHec:
      return "splunk";
  }
  return "ndjson";
}

std::string_view fsync_text(AuditFsync f) {
  switch (f) {
    case AuditFsync::kNever:
      return "never";
    case AuditFsync::kBatch:
      return "batch";
    case AuditFsync::kAlways:
      return "always";
  }
  return "batch";
}

std::string_view verify_client_text(TlsListenerConfig::VerifyClient v) {
  switch (v) {
    case TlsListenerConfig::VerifyClient::kOff:
      return "off";
    case TlsListenerConfig::VerifyClient::kOptional:
      return "optional";
    case TlsListenerConfig::VerifyClient::kRequire:
      return "require";
  }
  return "off";
}

std::string_view limit_action_text(LimitAction a) {
  return a == LimitAction::kBlock ? "block" : "inspect-prefix";
}

// Same order as kDetectorNames in section_inspection.cc (rules::Detector).
constexpr std::array<std::string_view, kNumDetectors> kDetectorNames{
    "sqli", "shell", "path", "ssrf", "nosql", "proto", "xss", "generic"};

// redis[s]://[user:]password@host...: the password is masked, the user kept. The userinfo ends at
// the LAST '@', exactly as proxy/redis/endpoint.cc splits it; a lone userinfo is the password.
std::string redact_redis_url(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme + 3) return url;
  size_t start = scheme + 3;
  size_t colon = url.find(':', start);
  size_t from = (colon != std::string::npos && colon < at) ? colon + 1 : start;
  return url.substr(0, from) + std::string(kMask) + url.substr(at);
}

// A Slack incoming webhook URL is itself the credential (its path is the token): only the scheme
// and host are shown. An http sink URL may carry a token in its query string ("?token="); the
// query is masked. (User info is refused by the http client, so it cannot hold a password.)
std::string redact_sink_url(const AuditSinkConfig& s) {
  if (s.url.empty()) return s.url;
  size_t scheme = s.url.find("://");
  if (scheme == std::string::npos) return s.url;
  if (s.type == AuditSinkType::kSlack) {
    size_t path = s.url.find_first_of("/?#", scheme + 3);
    if (path == std::string::npos) return s.url;
    return s.url.substr(0, path) + "/" + std::string(kMask);
  }
  size_t query = s.url.find('?', scheme + 3);
  if (query == std::string::npos || query + 1 == s.url.size()) return s.url;
  return s.url.substr(0, query + 1) + std::string(kMask);
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// A double-quoted YAML scalar holding `s` byte for byte: only '"', '\\' and controls are escaped
// (\xHH below 0x80 is that byte); every other byte is copied, and yaml-cpp's parser keeps it.
std::string raw_quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

// Small helpers over YAML::Emitter: a key, then a value of one kind.
class Writer {
 public:
  // Every free-form string goes through here. One that yaml-cpp cannot print faithfully becomes a
  // placeholder "\x01N\x02", replaced by raw_quoted() in finish(). A valid string that itself looks
  // like a placeholder takes the same path, so the replacement can never hit a real value (inside
  // a scalar every '"' is escaped, so an unescaped '"\x01' only starts a placeholder).
  void quoted(const std::string& s) {
    bool placeholder_like = !s.empty() && s.front() == '\x01' && s.back() == '\x02';
    if (valid_utf8(s) && !placeholder_like) {
      out_ << YAML::DoubleQuoted << s;
      return;
    }
    out_ << YAML::DoubleQuoted << ("\x01" + std::to_string(raw_.size()) + "\x02");
    raw_.push_back(s);
  }
  // One left-to-right pass, so a replaced value is never scanned again for placeholders.
  std::string finish() {
    const std::string text = out_.c_str();
    std::string result;
    result.reserve(text.size() + 1);
    constexpr std::string_view kOpen = "\"\\x01";
    constexpr std::string_view kClose = "\\x02\"";
    size_t pos = 0;
    for (size_t at = text.find(kOpen); at != std::string::npos; at = text.find(kOpen, pos)) {
      size_t digits = at + kOpen.size();
      size_t end = text.find(kClose, digits);
      if (end == std::string::npos) break;
      size_t index = 0;
      bool ok = end > digits;
      for (size_t i = digits; i < end && ok; ++i) {
        ok = text[i] >= '0' && text[i] <= '9';
        index = index * 10 + static_cast<size_t>(text[i] - '0');
      }
      result.append(text, pos, at - pos);
      if (ok && index < raw_.size()) {
        result += raw_quoted(raw_[index]);
      } else {
        result.append(text, at, end + kClose.size() - at);
      }
      pos = end + kClose.size();
    }
    result.append(text, pos);
    result += '\n';
    return result;
  }
  void begin_map(std::string_view key) {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::BeginMap;
  }
  void end_map() { out_ << YAML::EndMap; }
  void text(std::string_view key, std::string_view value) {
    out_ << YAML::Key << std::string(key) << YAML::Value;
    quoted(std::string(value));
  }
  void text_if_set(std::string_view key, const std::string& value) {
    if (!value.empty()) text(key, value);
  }
  // A value from a fixed vocabulary (mode names, units): never needs quotes.
  void word(std::string_view key, std::string_view value) {
    out_ << YAML::Key << std::string(key) << YAML::Value << std::string(value);
  }
  void number(std::string_view key, uint64_t value) {
    out_ << YAML::Key << std::string(key) << YAML::Value << value;
  }
  void flag(std::string_view key, bool value) {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::TrueFalseBool << value;
  }
  void list(std::string_view key, const std::vector<std::string>& items) {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const std::string& s : items) quoted(s);
    out_ << YAML::EndSeq;
  }
  // Pairs in order (duplicates kept: yaml-cpp keeps duplicate keys and so does the parser).
  template <typename Pairs, typename Show>
  void pairs(std::string_view key, const Pairs& items, Show&& show) {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [k, v] : items) {
      out_ << YAML::Key;
      quoted(k);
      out_ << YAML::Value;
      quoted(show(v));
    }
    out_ << YAML::EndMap;
  }
  YAML::Emitter& raw() { return out_; }

 private:
  YAML::Emitter out_;
  std::vector<std::string> raw_;  // strings printed by raw_quoted(), by placeholder number
};

void write_listeners(Writer& w, const std::vector<ListenerConfig>& listeners) {
  YAML::Emitter& out = w.raw();
  out << YAML::Key << "listen" << YAML::Value << YAML::BeginSeq;
  for (const ListenerConfig& l : listeners) {
    if (!l.tls) {
      w.quoted(l.address.to_string());
      continue;
    }
    out << YAML::BeginMap;
    w.text("address", l.address.to_string());
    w.begin_map("tls");
    out << YAML::Key << "certificates" << YAML::Value << YAML::BeginSeq;
    for (const TlsCertificateConfig& c : l.tls->certificates) {
      out << YAML::BeginMap;
      w.text("cert", c.cert_file);
      w.text("key", c.key_file);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    w.text_if_set("client_ca", l.tls->client_ca_file);
    w.word("verify_client", verify_client_text(l.tls->verify_client));
    w.flag("tls13_only", l.tls->tls13_only);
    w.end_map();
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void write_server(Writer& w, const Config& c) {
  write_listeners(w, c.listeners);
  w.number("workers", c.workers);

  w.begin_map("origin");
  w.text("address", c.upstream.address.to_string());
  w.number("max_idle", c.upstream.max_idle_per_worker);
  w.flag("retry_idempotent", c.upstream.retry_idempotent);
  w.end_map();

  w.begin_map("admin");
  w.flag("enabled", c.admin.enabled);
  w.text("address", c.admin.address.to_string());
  w.end_map();

  const Timeouts& t = c.timeouts;
  w.begin_map("timeouts");
  w.word("request_head", duration_text(t.request_head));
  w.word("body_idle", duration_text(t.body_idle));
  w.word("keepalive_idle", duration_text(t.keepalive_idle));
  w.word("upstream_connect", duration_text(t.upstream_connect));
  w.word("upstream_response", duration_text(t.upstream_response));
  w.word("client_write", duration_text(t.client_write));
  w.word("drain_grace", duration_text(t.drain_grace));
  w.end_map();

  const Limits& l = c.limits;
  w.begin_map("limits");
  w.word("max_head_bytes", size_text(l.max_head_bytes));
  w.number("max_headers", l.max_headers);
  w.word("max_target_bytes", size_text(l.max_target_bytes));
  w.word("max_body_bytes", size_text(l.max_body_bytes));
  w.number("max_connections_per_worker", l.max_connections_per_worker);
  w.word("buffer_bytes", size_text(l.buffer_bytes));
  w.end_map();
}

void write_stages(Writer& w, const StagesConfig& stages) {
  auto same = [](const std::string& v) -> const std::string& { return v; };
  w.begin_map("stages");
  const RequestLimitsStageConfig& s = stages.request_limits;
  w.begin_map("request_limits");
  w.word("mode", to_string(s.mode));
  w.list("allowed_methods", s.allowed_methods);
  w.word("max_uri_bytes", size_text(s.max_uri_bytes));
  w.number("max_headers", s.max_headers);
  w.word("max_header_value_bytes", size_text(s.max_header_value_bytes));
  w.word("max_body_bytes", size_text(s.max_body_bytes));
  w.end_map();

  const ResponseHeadersStageConfig& h = stages.response_headers;
  w.begin_map("response_headers");
  w.word("mode", to_string(h.mode));
  w.pairs("headers", h.headers, same);
  w.flag("override", h.override_origin);
  w.list("remove", h.remove);
  w.flag("replace_5xx_body", h.replace_5xx_body);
  YAML::Emitter& out = w.raw();
  out << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
  for (const ResponseHeadersStageConfig::Route& r : h.routes) {
    out << YAML::BeginMap;
    w.text("path", r.path);
    w.pairs("headers", r.headers, same);
    if (r.replace_5xx_body) w.flag("replace_5xx_body", *r.replace_5xx_body);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  w.end_map();
  w.end_map();
}

void write_origin_lock(Writer& w, const OriginLockConfig& o) {
  w.begin_map("origin_lock");
  w.word("mode", to_string(o.mode));
  w.word("action", o.action == LockAction::kClose ? "close" : "403");
  w.flag("require_trusted_peer", o.require_trusted_peer);
  w.flag("cloudflare_ranges", o.cloudflare_ranges);
  w.text_if_set("ranges_file", o.ranges_file);  // "" = the shipped list
  w.list("trusted_proxies", o.trusted_proxies);
  w.text("secret_header", o.secret_header);  // the header NAME; the value never enters Config
  w.flag("require_secret", o.require_secret);
  w.flag("authenticated_origin_pulls", o.authenticated_origin_pulls);
  w.list("allowed_hosts", o.allowed_hosts);
  if (o.real_client_ip) w.flag("real_client_ip", *o.real_client_ip);  // unset: follows mode
  w.flag("true_client_ip", o.true_client_ip);
  w.number("max_ranges_age_days", o.max_ranges_age_days);
  w.end_map();
}

void write_sink(Writer& w, const AuditSinkConfig& s) {
  YAML::Emitter& out = w.raw();
  out << YAML::BeginMap;
  w.text("name", s.name);
  w.word("type", audit_sink_type_name(s.type));
  // Always explicit: a slack sink without min_priority defaults to P1, not P3.
  w.word("min_priority", priority_text(s.min_priority));
  w.list("actions", s.actions);
  w.text_if_set("path", s.path);
  w.word("rotate_bytes", size_text(s.rotate_bytes));
  w.number("rotate_keep", s.rotate_keep);
  if (s.port != 0) {
    // `address` sets host and port. A host given with the separate `host:` key need not be an
    // address the grammar accepts, so it follows and overrides when it would not survive.
    std::string address = HostPort{s.host, s.port}.to_string();
    auto parsed = parse_host_port(address, AddressUse::kOrigin);
    if (parsed.ok() && parsed->host == s.host) {
      w.text("address", address);
    } else {
      w.text("address", HostPort{"127.0.0.1", s.port}.to_string());
      w.text_if_set("host", s.host);
    }
  } else {
    w.text_if_set("host", s.host);
  }
  w.word("facility", facility_text(s.facility));
  w.text_if_set("url", redact_sink_url(s));
  w.text_if_set("url_env", s.url_env);  // a variable NAME: the URL itself stays in the environment
  w.word("format", format_text(s.format));
  w.text_if_set("auth_env", s.auth_env);
  w.text_if_set("index", s.index);
  w.flag("gzip", s.gzip);
  w.flag("tls_verify", s.tls_verify);
  w.text_if_set("ca_file", s.ca_file);
  w.number("batch_max", s.batch_max);
  w.word("timeout", duration_text(s.timeout));
  w.word("backoff_max", duration_text(s.backoff_max));
  w.word("confirm_after", duration_text(s.confirm_after));
  w.word("aggregate_window", duration_text(s.aggregate_window));
  w.word("spool_max_bytes", size_text(s.spool_max_bytes));
  out << YAML::EndMap;
}

void write_audit(Writer& w, const AuditConfig& a) {
  w.begin_map("audit");
  YAML::Emitter& out = w.raw();
  out << YAML::Key << "sinks" << YAML::Value << YAML::BeginSeq;
  for (const AuditSinkConfig& s : a.sinks) write_sink(w, s);
  out << YAML::EndSeq;
  w.text("spool_dir", a.spool_dir);
  w.number("queue_capacity", a.queue_capacity);
  w.word("fsync", fsync_text(a.fsync));
  w.word("spool_segment_bytes", size_text(a.spool_segment_bytes));
  w.flag("access_events", a.access_events);
  w.word("access_sample", double_text(a.access_sample));
  w.flag("upstream_errors", a.upstream_errors);
  w.number("excerpt_bytes", a.excerpt_bytes);
  w.list("sensitive_paths", a.sensitive_paths);
  w.pairs("priorities", a.priorities, priority_text);
  w.list("redact_keys", a.redact_keys);
  w.end_map();
}

void write_inspection(Writer& w, const InspectionConfig& c) {
  YAML::Emitter& out = w.raw();
  w.begin_map("inspection");
  w.word("mode", to_string(c.mode));
  w.begin_map("detectors");
  for (size_t i = 0; i < kNumDetectors; ++i) w.word(kDetectorNames[i], to_string(c.detectors[i]));
  w.end_map();
  w.list("headers", c.headers);
  w.flag("inspect_path", c.inspect_path);
  w.flag("inspect_cookies", c.inspect_cookies);
  w.flag("inspect_file_contents", c.inspect_file_contents);
  w.number("max_inputs", c.max_inputs);
  w.word("on_max_inputs", limit_action_text(c.on_max_inputs));
  w.number("max_depth", c.max_depth);
  w.word("on_max_depth", limit_action_text(c.on_max_depth));
  w.word("max_body_bytes", size_text(c.max_body_bytes));
  w.word("on_max_body", limit_action_text(c.on_max_body));
  w.word("max_input_bytes", size_text(c.max_input_bytes));
  w.list("exclude", c.exclude);
  w.list("bypass_ips", c.bypass_ips);
  out << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
  for (const InspectionRoute& r : c.routes) {
    out << YAML::BeginMap;
    w.list("methods", r.methods);
    w.text("path", r.path);
    if (r.mode) w.word("mode", to_string(*r.mode));
    // Only the detectors the route overrides; the others inherit the global setting.
    out << YAML::Key << "detectors" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (size_t i = 0; i < kNumDetectors; ++i) {
      if (r.detectors[i]) w.word(kDetectorNames[i], to_string(*r.detectors[i]));
    }
    out << YAML::EndMap;
    w.list("exclude", r.exclude);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  w.end_map();
}

void write_access_lists(Writer& w, const AccessListsConfig& c) {
  w.begin_map("access_lists");
  w.word("mode", to_string(c.mode));
  w.list("allow", c.allow);
  w.list("allow_files", c.allow_files);
  w.list("block", c.block);
  w.list("block_files", c.block_files);
  w.list("user_agent_block", c.user_agent_block);
  w.list("user_agent_block_files", c.user_agent_block_files);
  w.list("blocked_users", c.blocked_users);
  w.list("blocked_users_files", c.blocked_users_files);
  w.flag("bypass_rate_limit", c.allow_bypass_rate_limit);
  w.flag("bypass_inspection", c.allow_bypass_inspection);
  w.number("status", c.status);
  w.end_map();
}

void write_rate_limit(Writer& w, const RateLimitConfig& c) {
  YAML::Emitter& out = w.raw();
  w.begin_map("rate_limit");
  w.word("mode", to_string(c.mode));
  w.number("table_size", c.table_size);
  w.begin_map("user");
  w.text("header", c.user.header);  // "" = none: quoted, so it stays an empty string
  w.text("jwt_header", c.user.jwt_header);
  w.text("jwt_claim", c.user.jwt_claim);
  w.end_map();
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const RateLimitRule& r : c.rules) {
    out << YAML::BeginMap;
    w.text("name", r.name);
    w.list("methods", r.methods);
    w.text("path", r.path);
    if (r.key == RateKeyKind::kHeader) {
      w.text("key", "header:" + r.key_header);
    } else {
      w.word("key", to_string(r.key));
    }
    w.number("limit", r.limit);
    w.word("period", duration_text(r.period));
    w.number("burst", r.burst);
    w.word("mode", to_string(r.mode));
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  const AutoBlockConfig& a = c.auto_block;
  w.begin_map("auto_block");
  w.flag("enabled", a.enabled);
  w.number("threshold", a.threshold);
  w.word("window", duration_text(a.window));
  w.word("duration", duration_text(a.duration));
  w.number("status", a.status);
  std::vector<std::string> count;  // an empty list counts nothing
  if (a.count_detections) count.emplace_back("detections");
  if (a.count_origin_lock) count.emplace_back("origin_lock");
  if (a.count_scanner) count.emplace_back("scanner");
  w.list("count", count);
  w.list("scanner_paths", a.scanner_paths);
  w.end_map();

  const RedisConfig& r = c.redis;
  w.begin_map("redis");
  w.text("url", redact_redis_url(r.url));
  w.word("timeout", duration_text(r.timeout));
  w.word("on_failure", to_string(r.on_failure));
  w.text("key_prefix", r.key_prefix);
  w.begin_map("tls");
  w.text_if_set("ca_file", r.tls.ca_file);
  w.text_if_set("cert_file", r.tls.cert_file);
  w.text_if_set("key_file", r.tls.key_file);  // a path; the key itself is never read here
  w.text_if_set("server_name", r.tls.server_name);
  w.flag("verify", r.tls.verify);
  w.end_map();
  w.end_map();
  w.end_map();
}

void write_custom_rules(Writer& w, const CustomRulesConfig& c) {
  w.begin_map("custom_rules");
  w.word("mode", to_string(c.mode));
  w.list("files", c.files);
  w.word("max_body_bytes", size_text(c.max_body_bytes));
  w.number("max_inputs", c.max_inputs);
  w.word("max_input_bytes", size_text(c.max_input_bytes));
  w.number("match_limit", c.match_limit);
  w.number("depth_limit", c.depth_limit);
  w.word("heap_limit", size_text(uint64_t{c.heap_limit_kib} * 1024));  // yaml: a size
  w.word("jit_stack_size", size_text(c.jit_stack_bytes));
  w.end_map();
}

}  // namespace

Config redact_secrets(Config c) {
  c.rate_limit.redis.url = redact_redis_url(c.rate_limit.redis.url);
  for (AuditSinkConfig& s : c.audit.sinks) s.url = redact_sink_url(s);
  return c;
}

std::string to_yaml(const Config& c) {
  Writer w;
  w.raw() << YAML::BeginMap;
  write_server(w, c);
  write_stages(w, c.stages);
  write_origin_lock(w, c.origin_lock);
  write_audit(w, c.audit);
  write_inspection(w, c.inspection);
  write_access_lists(w, c.access_lists);
  write_rate_limit(w, c.rate_limit);
  write_custom_rules(w, c.custom_rules);
  w.raw() << YAML::EndMap;
  return w.finish();
}

}  // namespace portcullis::config
