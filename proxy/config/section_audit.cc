// audit: sinks, spool, priorities (docs/audit-events.md). Every sink is validated here so a typo
// in a URL or a missing variable fails at load, never at the first event.
#include <array>
#include <cmath>
#include <set>

#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

Result<uint8_t> parse_priority(std::string_view t) {
  if (t.size() == 2 && (t[0] == 'P' || t[0] == 'p') && t[1] >= '0' && t[1] <= '4') {
    return static_cast<uint8_t>(t[1] - '0');
  }
  return make_error("expected a priority P0, P1, P2, P3 or P4 (access events), got '" +
                    std::string(t) + "'");
}

Result<AuditSinkType> parse_sink_type(std::string_view t) {
  if (t == "stdout") return AuditSinkType::kStdout;
  if (t == "file") return AuditSinkType::kFile;
  if (t == "syslog_udp") return AuditSinkType::kSyslogUdp;
  if (t == "syslog_tcp") return AuditSinkType::kSyslogTcp;
  if (t == "syslog_tls") return AuditSinkType::kSyslogTls;
  if (t == "http") return AuditSinkType::kHttp;
  if (t == "slack") return AuditSinkType::kSlack;
  return make_error("expected stdout | file | syslog_udp | syslog_tcp | syslog_tls | http | slack");
}

Result<AuditHttpFormat> parse_format(std::string_view t) {
  if (t == "ndjson") return AuditHttpFormat::kNdjson;
  if (t == "elasticsearch") return AuditHttpFormat::kElasticBulk;
  if (t == "splunk") return AuditHttpFormat::kSplunkHec;
  return make_error("expected ndjson | elasticsearch | splunk");
}

Result<AuditFsync> parse_fsync(std::string_view t) {
  if (t == "never") return AuditFsync::kNever;
  if (t == "batch") return AuditFsync::kBatch;
  if (t == "always") return AuditFsync::kAlways;
  return make_error("expected never | batch | always");
}

Result<std::string> parse_text(std::string_view t) {
  if (t.empty()) return make_error("must not be empty");
  return std::string(t);
}

Result<std::string> parse_url(std::string_view t) {
  if (t.rfind("http://", 0) != 0 && t.rfind("https://", 0) != 0) {
    return make_error("expected an http:// or https:// URL");
  }
  return std::string(t);
}

Result<uint8_t> parse_facility(std::string_view t) {
  static constexpr std::array<std::string_view, 8> kLocal{"local0", "local1", "local2", "local3",
                                                          "local4", "local5", "local6", "local7"};
  for (size_t i = 0; i < kLocal.size(); ++i) {
    if (t == kLocal[i]) return static_cast<uint8_t>(16 + i);
  }
  if (t == "user") return static_cast<uint8_t>(1);
  if (t == "daemon") return static_cast<uint8_t>(3);
  if (t == "security" || t == "auth") return static_cast<uint8_t>(4);
  return make_error("expected local0..local7, user, daemon or auth");
}

Result<double> parse_fraction(std::string_view t) {
  char* end = nullptr;
  std::string s(t);
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(v >= 0.0 && v <= 1.0)) {
    return make_error("expected a number between 0 and 1");
  }
  return v;
}

void read_strings(const Entry& e, Reader& r, std::vector<std::string>* out) {
  out->clear();
  r.for_each_item(e, true, [&](const Entry& item) {
    std::string s;
    if (r.read(item, "a string", parse_text, &s)) out->push_back(std::move(s));
  });
}

constexpr std::array<std::string_view, 24> kSinkKeys{"name",
                                                     "type",
                                                     "min_priority",
                                                     "actions",
                                                     "path",
                                                     "rotate_bytes",
                                                     "rotate_keep",
                                                     "address",
                                                     "facility",
                                                     "url",
                                                     "url_env",
                                                     "format",
                                                     "auth_env",
                                                     "index",
                                                     "gzip",
                                                     "tls_verify",
                                                     "ca_file",
                                                     "batch_max",
                                                     "timeout",
                                                     "backoff_max",
                                                     "confirm_after",
                                                     "aggregate_window",
                                                     "spool_max_bytes",
                                                     "host"};

void parse_sink(const Entry& e, Reader& r, AuditSinkConfig& s, size_t index) {
  s.name = "sink" + std::to_string(index);
  bool has_type = false;
  r.for_each_key(e, "audit.sinks", kSinkKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "name") r.read(kv, "a name", parse_text, &s.name);
    if (key == "type") has_type = r.read(kv, "a sink type", parse_sink_type, &s.type);
    if (key == "min_priority") r.read(kv, "a priority", parse_priority, &s.min_priority);
    if (key == "actions") read_strings(kv, r, &s.actions);
    if (key == "path") r.read(kv, "a file path", parse_text, &s.path);
    if (key == "rotate_bytes") r.read_number(kv, true, 4096, 1ull << 40, &s.rotate_bytes);
    if (key == "rotate_keep") r.read_number(kv, false, 0, 1000, &s.rotate_keep);
    if (key == "host") r.read(kv, "a host", parse_text, &s.host);
    if (key == "address") {
      HostPort hp;
      if (r.read(
              kv, "host:port",
              [](std::string_view t) { return parse_host_port(t, AddressUse::kOrigin); }, &hp)) {
        s.host = hp.host;
        s.port = hp.port;
      }
    }
    if (key == "facility") r.read(kv, "a syslog facility", parse_facility, &s.facility);
    if (key == "url") r.read(kv, "a URL", parse_url, &s.url);
    if (key == "url_env") r.read(kv, "a variable name", parse_text, &s.url_env);
    if (key == "format") r.read(kv, "a format", parse_format, &s.format);
    if (key == "auth_env") r.read(kv, "a variable name", parse_text, &s.auth_env);
    if (key == "index") r.read(kv, "an index name", parse_text, &s.index);
    if (key == "gzip") r.read(kv, "true or false", parse_bool, &s.gzip);
    if (key == "tls_verify") r.read(kv, "true or false", parse_bool, &s.tls_verify);
    if (key == "ca_file") r.read(kv, "a file path", parse_text, &s.ca_file);
    if (key == "batch_max") r.read_number(kv, false, 1, 100000, &s.batch_max);
    if (key == "timeout") r.read(kv, "a duration", parse_duration, &s.timeout);
    if (key == "backoff_max") r.read(kv, "a duration", parse_duration, &s.backoff_max);
    if (key == "confirm_after") r.read(kv, "a duration", parse_duration, &s.confirm_after);
    if (key == "aggregate_window") r.read(kv, "a duration", parse_duration, &s.aggregate_window);
    if (key == "spool_max_bytes") r.read_number(kv, true, 0, 1ull << 42, &s.spool_max_bytes);
  });
  if (!has_type) {
    r.error_in(e, "a sink needs a 'type'");
    return;
  }
  using T = AuditSinkType;
  if (s.type == T::kFile && s.path.empty()) r.error_in(e, "a file sink needs 'path'");
  if ((s.type == T::kSyslogUdp || s.type == T::kSyslogTcp || s.type == T::kSyslogTls) &&
      s.port == 0) {
    r.error_in(e, "a syslog sink needs 'address: host:port'");
  }
  if (s.type == T::kHttp && s.url.empty()) r.error_in(e, "an http sink needs 'url'");
  if (s.type == T::kSlack) {
    if (s.url.empty() && s.url_env.empty()) s.url_env = "SLACK_WEBHOOK_URL";
    if (s.min_priority == 3 && r.set_at(e.path + ".min_priority") == nullptr) s.min_priority = 1;
  }
}

constexpr std::array<std::string_view, 12> kAuditKeys{
    "sinks",         "spool_dir",     "queue_capacity",  "fsync",         "spool_segment_bytes",
    "access_events", "access_sample", "upstream_errors", "excerpt_bytes", "sensitive_paths",
    "priorities",    "redact_keys"};

}  // namespace

void parse_audit_section(const Entry& e, Reader& r, Config& out) {
  AuditConfig& a = out.audit;
  r.for_each_key(e, "audit", kAuditKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "sinks") {
      a.sinks.clear();
      r.for_each_item(kv, false, [&](const Entry& item) {
        AuditSinkConfig s;
        parse_sink(item, r, s, a.sinks.size());
        a.sinks.push_back(std::move(s));
      });
    }
    if (key == "spool_dir") r.read(kv, "a directory", parse_text, &a.spool_dir);
    if (key == "queue_capacity") {
      if (r.read_number(kv, false, 16, 1u << 20, &a.queue_capacity) &&
          (a.queue_capacity & (a.queue_capacity - 1)) != 0) {
        r.error_in(kv, "must be a power of two");
      }
    }
    if (key == "fsync") r.read(kv, "never | batch | always", parse_fsync, &a.fsync);
    if (key == "spool_segment_bytes") {
      r.read_number(kv, true, 4096, 1ull << 30, &a.spool_segment_bytes);
    }
    if (key == "access_events") r.read(kv, "true or false", parse_bool, &a.access_events);
    if (key == "access_sample") r.read(kv, "a fraction", parse_fraction, &a.access_sample);
    if (key == "upstream_errors") r.read(kv, "true or false", parse_bool, &a.upstream_errors);
    if (key == "excerpt_bytes")
      r.read_number(kv, false, 0, 256, &a.excerpt_bytes);  // event field: 256 B
    if (key == "sensitive_paths") read_strings(kv, r, &a.sensitive_paths);
    if (key == "redact_keys") read_strings(kv, r, &a.redact_keys);
    if (key == "priorities") {
      a.priorities.clear();
      if (!kv.value.IsMap()) {
        r.error_in(kv, "expected a map of action glob -> P0..P3");
        return;
      }
      for (auto it = kv.value.begin(); it != kv.value.end(); ++it) {
        Entry item{kv.path + "." + it->first.Scalar(), it->second, it->first.Mark()};
        uint8_t p = 0;
        if (r.read(item, "a priority", parse_priority, &p)) {
          a.priorities.emplace_back(it->first.Scalar(), p);
        }
      }
    }
  });
  std::set<std::string> names;
  for (const AuditSinkConfig& s : a.sinks) {
    if (!names.insert(s.name).second) r.error_in(e, "duplicate sink name '" + s.name + "'");
  }
}

}  // namespace portcullis::config
