// to_yaml(): the effective config printed by --print-config and the admin endpoint must load back
// to an equal Config (every section, every field), and must never print a secret that a URL
// carries (Redis password, Slack webhook token).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "proxy/config/config.h"

namespace portcullis::config {
namespace {

// A readable file for the keys whose files are checked at load (TLS certificates, client CA).
class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/portcullis-to-yaml-test-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Config load_ok(const std::string& yaml) {
  Result<Config> r = load_config_string(yaml, "t.yaml", no_env());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason) << "\n" << yaml;
  return r.ok() ? std::move(r).value() : Config{};
}

// load(to_yaml(c)) == c, with the printed text in the failure message.
void expect_round_trip(const Config& c) {
  std::string text = to_yaml(c);
  Result<Config> back = load_config_string(text, c.source, no_env());
  ASSERT_TRUE(back.ok()) << back.error().reason << "\n" << text;
  EXPECT_EQ(*back, c) << text;
  // Printing is a fixed point: what an operator copies from --print-config prints the same.
  EXPECT_EQ(to_yaml(*back), text);
}

// Every section and sub-struct with values that differ from the defaults, so a field that
// to_yaml() forgets comes back as its default and the comparison fails. Every listener is TLS
// because authenticated_origin_pulls requires it; plain listeners are covered by config_test.cc.
std::string every_section_yaml(const std::string& cert, const std::string& key,
                               const std::string& ca) {
  return R"yaml(
listen:
  - address: "[::1]:8443"
    tls: {certificates: [{cert: ")yaml" +
         cert + R"yaml(", key: ")yaml" + key + R"yaml("}],
          client_ca: ")yaml" +
         ca + R"yaml(", verify_client: require}
  - address: "0.0.0.0:8444"
    tls:
      certificates:
        - {cert: ")yaml" +
         cert + R"yaml(", key: ")yaml" + key + R"yaml("}
        - {cert: ")yaml" +
         key + R"yaml(", key: ")yaml" + cert + R"yaml("}
      client_ca: ")yaml" +
         ca + R"yaml("
      verify_client: optional
      tls13_only: true
workers: 3
origin: {address: "backend.internal:81", max_idle: 7, retry_idempotent: false}
admin: {enabled: false, address: "127.0.0.1:9902"}
timeouts:
  request_head: 5s
  body_idle: 1500
  keepalive_idle: 2m
  upstream_connect: 250ms
  upstream_response: 1h
  client_write: 20s
  drain_grace: 3s
limits:
  max_head_bytes: 32k
  max_headers: 50
  max_target_bytes: 4000
  max_body_bytes: 1m
  max_connections_per_worker: 77
  buffer_bytes: 8k
stages:
  request_limits:
    mode: monitor
    allowed_methods: [GET, m-search]
    max_uri_bytes: 2k
    max_headers: 40
    max_header_value_bytes: 1000
    max_body_bytes: 4096
  response_headers:
    mode: monitor
    headers: {X-Frame-Options: DENY, "X-Empty": "", Content-Security-Policy: "default-src 'self'; img-src *"}
    override: true
    remove: [Server, X-AspNet-Version]
    replace_5xx_body: true
    routes:
      - {path: "/embed/*", headers: {X-Frame-Options: ""}, replace_5xx_body: false}
      - {path: /plain, headers: {}}
origin_lock:
  mode: monitor
  action: close
  require_trusted_peer: true
  cloudflare_ranges: false
  ranges_file: /etc/portcullis/cf.txt
  trusted_proxies: [127.0.0.1/32, "::1/128"]
  secret_header: X-My-Secret
  require_secret: true
  authenticated_origin_pulls: true
  allowed_hosts: [example.com, "*.Example.org"]
  real_client_ip: false
  true_client_ip: true
  max_ranges_age_days: 30
audit:
  spool_dir: /tmp/portcullis-to-yaml-spool
  queue_capacity: 1024
  fsync: always
  spool_segment_bytes: 1m
  access_events: true
  access_sample: 0.125
  upstream_errors: false
  excerpt_bytes: 64
  sensitive_paths: [/secret, "/x*"]
  redact_keys: [pin]
  priorities: {"attack.*": P0, "rate_limit.*": P3}
  sinks:
    - {name: out, type: stdout, min_priority: P4, actions: ["attack.*", origin_lock]}
    - {name: f, type: file, path: /tmp/a.log, rotate_bytes: 1m, rotate_keep: 2, spool_max_bytes: 0}
    - {name: u, type: syslog_udp, address: "10.1.2.3:514", facility: daemon}
    - {name: t, type: syslog_tcp, address: "[2001:db8::1]:601", facility: local5, confirm_after: 2s}
    - {name: s, type: syslog_tls, address: "logs.example:6514", facility: auth, ca_file: /ca.pem, tls_verify: false}
    - name: es
      type: http
      url: "https://es.example:9200/_bulk"
      format: elasticsearch
      index: waf
      auth_env: ES_AUTH
      gzip: true
      batch_max: 100
      timeout: 2s
      backoff_max: 1m
    - {name: splunk, type: http, url: "http://splunk:8088/services/collector", format: splunk, host: splunk-host}
    - {name: alerts, type: slack, url_env: MY_SLACK_URL, aggregate_window: 5m}
    - {type: slack, min_priority: P3}
inspection:
  mode: monitor
  detectors: {sqli: on, shell: monitor, path: off, ssrf: enforce, nosql: monitor, proto: off, xss: monitor, generic: off}
  headers: [User-Agent, x-custom]
  inspect_path: false
  inspect_cookies: false
  inspect_file_contents: true
  max_inputs: 10
  on_max_inputs: inspect-prefix
  max_depth: 5
  on_max_depth: inspect-prefix
  max_body_bytes: 64k
  on_max_body: block
  max_input_bytes: 100
  exclude: ["query:q", "body.json:post.*"]
  bypass_ips: [10.0.0.0/8, "2001:db8::/32"]
  routes:
    - {methods: [post, PUT], path: "/api/*", mode: off, detectors: {xss: off, sqli: monitor}, exclude: ["header:referer"]}
    - {path: /search}
access_lists:
  mode: monitor
  allow: [192.0.2.0/24]
  allow_files: [/etc/allow.txt]
  block: [198.51.100.7]
  block_files: [/etc/tor.txt]
  user_agent_block: ["(?i)sqlmap", "nikto"]
  user_agent_block_files: [/etc/ua.txt]
  blocked_users: [mallory]
  blocked_users_files: [/etc/users.txt]
  bypass_rate_limit: false
  bypass_inspection: true
  status: 404
rate_limit:
  mode: monitor
  table_size: 4096
  user: {header: X-User, jwt_header: "", jwt_claim: uid}
  rules:
    - {name: login, methods: [POST], path: /login, key: ip, limit: 5, period: 1m, burst: 2, mode: monitor}
    - {path: "/api/*", key: "header:X-Api-Key", limit: 100, period: 1s}
    - {key: user, limit: 1000, period: 1h, mode: off}
    - {key: route, limit: 50}
  auto_block:
    enabled: true
    threshold: 7
    window: 30s
    duration: 1h
    status: 429
    count: [scanner]
    scanner_paths: ["/.svn/*"]
  redis:
    url: "rediss://cache.internal:6380/2"
    timeout: 20ms
    on_failure: local
    key_prefix: "pc:"
    tls: {ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem, server_name: redis.internal, verify: false}
custom_rules:
  mode: monitor
  files: [/etc/portcullis/rules.d, rules.yaml]
  max_body_bytes: 0
  max_inputs: 20
  max_input_bytes: 2k
  match_limit: 5000
  depth_limit: 50
  heap_limit: 2m
  jit_stack_size: 64k
)yaml";
}

TEST(ToYaml, EverySectionWithNonDefaultValuesRoundTrips) {
  TempFile cert, key, ca;
  Config c = load_ok(every_section_yaml(cert.path(), key.path(), ca.path()));
  // The input really is non-default in the newer sections (guards against a YAML typo that
  // silently leaves a section at its defaults).
  Config d = load_ok("");
  EXPECT_NE(c.listeners, d.listeners);
  EXPECT_NE(c.stages.response_headers, d.stages.response_headers);
  EXPECT_NE(c.origin_lock, d.origin_lock);
  EXPECT_NE(c.audit, d.audit);
  EXPECT_NE(c.inspection, d.inspection);
  EXPECT_NE(c.access_lists, d.access_lists);
  EXPECT_NE(c.rate_limit, d.rate_limit);
  EXPECT_NE(c.rate_limit.redis.tls, d.rate_limit.redis.tls);
  EXPECT_NE(c.custom_rules, d.custom_rules);
  ASSERT_EQ(c.audit.sinks.size(), 9u);
  EXPECT_EQ(c.audit.sinks[8].min_priority, 3);  // explicit P3 on a slack sink (default P1)
  expect_round_trip(c);
}

// Failed before to_yaml() emitted the sections after `stages.request_limits`: each of these came
// back as its default.
TEST(ToYaml, NewerSectionsRoundTrip) {
  const char* inputs[] = {
      "rate_limit: {redis: {url: \"rediss://r:6379\", tls: {ca_file: /ca.pem, verify: false}}}\n",
      "audit: {sinks: [{name: a, type: slack, url_env: HOOK, aggregate_window: 2m}]}\n",
      "inspection: {routes: [{path: \"/api/*\", detectors: {sqli: off}}]}\n",
      "custom_rules: {files: [rules.yaml], match_limit: 1000}\n",
      "stages: {response_headers: {routes: [{path: /a, replace_5xx_body: true}]}}\n",
      "access_lists: {block: [192.0.2.1], status: 404}\n",
      "origin_lock: {mode: enforce, trusted_proxies: [127.0.0.1/32], real_client_ip: false}\n",
  };
  for (const char* in : inputs) {
    SCOPED_TRACE(in);
    expect_round_trip(load_ok(in));
  }
}

TEST(ToYaml, DefaultsAndDeployExamplesRoundTrip) {
  expect_round_trip(load_ok(""));
  expect_round_trip(load_ok(std::string(embedded_default_config())));
  for (const char* rel : {"/deploy/examples/portcullis.yaml", "/deploy/compose/portcullis.yaml",
                          "/deploy/container/portcullis.yaml"}) {
    SCOPED_TRACE(rel);
    std::ifstream in(std::string(PORTCULLIS_SOURCE_DIR) + rel);
    std::stringstream ss;
    ss << in.rdbuf();
    ASSERT_FALSE(ss.str().empty());
    expect_round_trip(load_ok(ss.str()));
  }
}

TEST(ToYaml, StringsThatLookLikeOtherYamlTypesStayStrings) {
  // A header value "true", a glob starting with '*', a claim "null" and a '#' in a pattern would
  // change meaning if printed unquoted.
  Config c = load_ok(
      "stages: {response_headers: {headers: {X-A: \"true\", X-B: \"~\", X-C: \"# x\"}}}\n"
      "audit: {sensitive_paths: [\"*.php\", \"null\"], priorities: {\"*\": P2}}\n"
      "rate_limit: {user: {jwt_claim: \"null\"}}\n"
      "access_lists: {user_agent_block: [\"a: b\", \"[x]\", \"'q'\", \"tab\\there\"]}\n");
  expect_round_trip(c);
}

TEST(ToYaml, BytesYamlCppCannotPrintSurviveByteForByte) {
  // A byte-mode PCRE2 pattern may hold any byte; yaml-cpp's emitter would turn invalid UTF-8 into
  // U+FFFD. "\x01" "1" "\x02" mimics the placeholder to_yaml() uses internally for such strings.
  Config c = load_ok(
      "access_lists: {user_agent_block: [\"\x01\x31\x02\", \"\xff\xfe\", "
      "\"\xc0\xaf\\\"q\\\\ \", \"\x01\x30\x02\"]}\n"
      "audit: {priorities: {\"\xff*\": P1}}\n");
  ASSERT_EQ(c.access_lists.user_agent_block.size(), 4u);
  EXPECT_EQ(c.access_lists.user_agent_block[1], "\xff\xfe");
  expect_round_trip(c);
}

TEST(ToYaml, RedisPasswordIsRedacted) {
  Config c = load_ok(
      "rate_limit: {redis: {url: \"redis://:hunter2@cache:6379/1\"}}\n"
      "audit: {sinks: [{name: s, type: slack, url: "
      "\"https://hooks.slack.example/services/T0/B0/tok3n\"}]}\n");
  std::string text = to_yaml(c);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("tok3n"), std::string::npos) << text;
  EXPECT_NE(text.find("redis://:[REDACTED]@cache:6379/1"), std::string::npos) << text;
  EXPECT_NE(text.find("https://hooks.slack.example/[REDACTED]"), std::string::npos) << text;
  // What is printed still loads, to the config with the secrets masked.
  Result<Config> back = load_config_string(text, "t.yaml", no_env());
  ASSERT_TRUE(back.ok()) << back.error().reason;
  EXPECT_EQ(*back, redact_secrets(c));
  EXPECT_NE(*back, c);
}

TEST(ToYaml, RedactSecretsMasksOnlySecrets) {
  Config c = load_ok(
      "rate_limit: {redis: {url: \"redis://user:p%40ss@r:1\"}}\n"
      "audit: {sinks: [{name: h, type: http, url: \"https://h.example/in?token=abc\"},\n"
      "                {name: e, type: http, url: \"https://h.example/_bulk\"}]}\n");
  Config r = redact_secrets(c);
  EXPECT_EQ(r.rate_limit.redis.url, "redis://user:[REDACTED]@r:1");
  EXPECT_EQ(r.audit.sinks[0].url, "https://h.example/in?[REDACTED]");
  EXPECT_EQ(r.audit.sinks[1].url, "https://h.example/_bulk");  // nothing secret: unchanged
  // A lone userinfo is the password (redis://password@host, proxy/redis/endpoint.cc).
  c.rate_limit.redis.url = "redis://pw@r:1";
  EXPECT_EQ(redact_secrets(c).rate_limit.redis.url, "redis://[REDACTED]@r:1");
  // Nothing to hide: the config is unchanged, so load(to_yaml(c)) == c holds exactly.
  Config plain = load_ok("rate_limit: {redis: {url: \"redis://r:1\"}}\n");
  EXPECT_EQ(redact_secrets(plain), plain);
}

}  // namespace
}  // namespace portcullis::config
