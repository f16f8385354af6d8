#include "proxy/config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace portcullis::config {
namespace {

using std::chrono::milliseconds;

uint32_t auto_workers() {
  return std::clamp<uint32_t>(std::thread::hardware_concurrency(), 1, 256);
}

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Config load_ok(std::string_view yaml, const EnvLookup& env = no_env()) {
  Result<Config> r = load_config_string(yaml, "t.yaml", env);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason);
  return r.ok() ? std::move(r).value() : Config{};
}

// A temp file that removes itself.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/portcullis-config-test-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    path_ = name;
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadConfig, EmptyFileGivesDefaults) {
  Config c = load_ok("");
  Config d;
  d.source = "t.yaml";
  d.workers = auto_workers();
  EXPECT_EQ(c, d);
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].address.to_string(), "0.0.0.0:8080");
  EXPECT_EQ(c.timeouts.request_head, milliseconds(10000));
  EXPECT_EQ(c.limits.max_body_bytes, 10ull << 20);
  EXPECT_EQ(c.stages.request_limits.mode, StageMode::kEnforce);
}

TEST(LoadConfig, EmbeddedDefault) {
  Result<Config> r = load_config("", no_env());
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r->source, "<embedded>");
  ASSERT_EQ(r->listeners.size(), 1u);
  EXPECT_EQ(r->listeners[0].address.to_string(), "0.0.0.0:8080");
  EXPECT_EQ(r->upstream.address.to_string(), "127.0.0.1:3000");
  EXPECT_TRUE(r->admin.enabled);
  EXPECT_EQ(r->admin.address.to_string(), "127.0.0.1:9901");
  EXPECT_EQ(r->workers, auto_workers());
  EXPECT_NE(embedded_default_config().find("workers: auto"), std::string_view::npos);
}

TEST(LoadConfig, EveryKeySet) {
  Config c = load_ok(R"(
listen:
  - "127.0.0.1:0"
  - "[::1]:8443"
workers: 3
origin:
  address: "http://app.internal:8080/"
  max_idle: 0
  retry_idempotent: false
admin:
  enabled: true
  address: "[::1]:9000"
timeouts:
  request_head: 5s
  body_idle: 250ms
  keepalive_idle: 2m
  upstream_connect: 1500
  upstream_response: 1h
  client_write: 45s
  drain_grace: 30s
limits:
  max_head_bytes: 32KiB
  max_headers: 200
  max_target_bytes: 4k
  max_body_bytes: 1g
  max_connections_per_worker: 500
  buffer_bytes: 128k
stages:
  request_limits:
    mode: monitor
    allowed_methods: [get, head, PROPFIND]
    max_uri_bytes: 2k
    max_headers: 50
    max_header_value_bytes: 4096
    max_body_bytes: 512m
)");
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[0].address, (HostPort{"127.0.0.1", 0}));
  EXPECT_EQ(c.listeners[1].address, (HostPort{"::1", 8443}));
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.upstream.address, (HostPort{"app.internal", 8080}));
  EXPECT_EQ(c.upstream.max_idle_per_worker, 0u);
  EXPECT_FALSE(c.upstream.retry_idempotent);
  EXPECT_EQ(c.admin.address.to_string(), "[::1]:9000");
  EXPECT_EQ(c.timeouts.request_head, milliseconds(5000));
  EXPECT_EQ(c.timeouts.body_idle, milliseconds(250));
  EXPECT_EQ(c.timeouts.keepalive_idle, milliseconds(120000));
  EXPECT_EQ(c.timeouts.upstream_connect, milliseconds(1500));
  EXPECT_EQ(c.timeouts.upstream_response, milliseconds(3600000));
  EXPECT_EQ(c.timeouts.client_write, milliseconds(45000));
  EXPECT_EQ(c.timeouts.drain_grace, milliseconds(30000));
  EXPECT_EQ(c.limits.max_head_bytes, 32768u);
  EXPECT_EQ(c.limits.max_headers, 200u);
  EXPECT_EQ(c.limits.max_target_bytes, 4096u);
  EXPECT_EQ(c.limits.max_body_bytes, 1ull << 30);
  EXPECT_EQ(c.limits.max_connections_per_worker, 500u);
  EXPECT_EQ(c.limits.buffer_bytes, 131072u);
  const RequestLimitsStageConfig& s = c.stages.request_limits;
  EXPECT_EQ(s.mode, StageMode::kMonitor);
  EXPECT_EQ(s.allowed_methods, (std::vector<std::string>{"GET", "HEAD", "PROPFIND"}));
  EXPECT_EQ(s.max_uri_bytes, 2048u);
  EXPECT_EQ(s.max_headers, 50u);
  EXPECT_EQ(s.max_header_value_bytes, 4096u);
  EXPECT_EQ(s.max_body_bytes, 512ull << 20);
}

TEST(LoadConfig, ShortForms) {
  Config c = load_ok("listen: \"*:9090\"\norigin: \"http://[::1]\"\nadmin: off\nworkers: auto\n");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].address, (HostPort{"0.0.0.0", 9090}));
  EXPECT_EQ(c.upstream.address, (HostPort{"::1", 80}));
  EXPECT_FALSE(c.admin.enabled);
  EXPECT_EQ(c.workers, auto_workers());
  // Disabled admin may share a listener's port: nothing binds it.
  Config d = load_ok("listen: \"0.0.0.0:9901\"\nadmin: {enabled: false}\n");
  EXPECT_FALSE(d.admin.enabled);
}

TEST(LoadConfig, EmptySectionsKeepDefaults) {
  Config c = load_ok("timeouts:\nlimits:\nstages:\n  request_limits:\n");
  EXPECT_EQ(c.timeouts, Timeouts{});
  EXPECT_EQ(c.limits, Limits{});
  EXPECT_EQ(c.stages, StagesConfig{});
}

TEST(LoadConfig, UnsetLimitsFollowLoweredGlobalLimits) {
  // Lowering a global limit must not force the operator to also lower every stage default.
  Config c = load_ok("limits:\n  max_head_bytes: 4k\n  max_headers: 20\n  max_body_bytes: 1m\n");
  EXPECT_EQ(c.limits.max_target_bytes, 4096u);
  EXPECT_EQ(c.stages.request_limits.max_uri_bytes, 4096u);
  EXPECT_EQ(c.stages.request_limits.max_headers, 20u);
  EXPECT_EQ(c.stages.request_limits.max_header_value_bytes, 4096u);
  EXPECT_EQ(c.stages.request_limits.max_body_bytes, 1u << 20);
}

TEST(LoadConfig, ErrorsAreCappedButCounted) {
  std::string yaml;
  for (int i = 0; i < 30; ++i) yaml += "unknown_" + std::to_string(i) + ": 1\n";
  Result<Config> r = load_config_string(yaml, "t.yaml", no_env());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().reason.find("t.yaml:1:1: unknown key 'unknown_0'"), std::string::npos);
  EXPECT_NE(r.error().reason.find("t.yaml:20:1: unknown key 'unknown_19'"), std::string::npos);
  EXPECT_EQ(r.error().reason.find("unknown_20'"), std::string::npos);
  EXPECT_NE(r.error().reason.find("(10 more errors not shown)"), std::string::npos);
}

TEST(LoadConfig, HostileInputsFailCleanly) {
  // yaml-cpp guards recursion depth; the exception must not escape the loader.
  std::string deep(100000, '[');
  EXPECT_FALSE(load_config_string(deep, "t.yaml", no_env()).ok());
  EXPECT_FALSE(load_config_string(std::string("\0\xff\xfe: [", 5), "t.yaml", no_env()).ok());
  EXPECT_FALSE(load_config_string("a: &x [*x]\n", "t.yaml", no_env()).ok());
  EXPECT_FALSE(load_config_string("<<: {workers: 2}\n", "t.yaml", no_env()).ok());
  EXPECT_FALSE(load_config_string("? [a]\n: 1\n", "t.yaml", no_env()).ok());
}

TEST(EnvOverrides, ReplaceFileValues) {
  Config c = load_ok(R"(
listen: ["0.0.0.0:8080", "0.0.0.0:8081"]
origin: {address: "127.0.0.1:3000", max_idle: 7}
workers: 2
)",
                     fake_env({{"PORTCULLIS_LISTEN", "127.0.0.1:0"},
                               {"PORTCULLIS_ORIGIN", "http://backend:9000"},
                               {"PORTCULLIS_WORKERS", "5"},
                               {"PORTCULLIS_ADMIN_LISTEN", "[::1]:9999"}}));
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].address, (HostPort{"127.0.0.1", 0}));
  EXPECT_EQ(c.upstream.address, (HostPort{"backend", 9000}));
  EXPECT_EQ(c.upstream.max_idle_per_worker, 7u);  // pool settings from the file are kept
  EXPECT_EQ(c.workers, 5u);
  EXPECT_TRUE(c.admin.enabled);
  EXPECT_EQ(c.admin.address, (HostPort{"::1", 9999}));
}

TEST(EnvOverrides, AdminOffAndWorkersAuto) {
  Config c =
      load_ok("admin: \"127.0.0.1:9000\"\nworkers: 4\n",
              fake_env({{"PORTCULLIS_ADMIN_LISTEN", "off"}, {"PORTCULLIS_WORKERS", "auto"}}));
  EXPECT_FALSE(c.admin.enabled);
  EXPECT_EQ(c.workers, auto_workers());
  // Admin re-enabled from the environment even though the file turned it off.
  Config d = load_ok("admin: off\n", fake_env({{"PORTCULLIS_ADMIN_LISTEN", "127.0.0.1:9100"}}));
  EXPECT_TRUE(d.admin.enabled);
  EXPECT_EQ(d.admin.address.port, 9100);
}

TEST(EnvOverrides, FileErrorsAreReportedBeforeEnv) {
  Result<Config> r =
      load_config_string("workers: 0\n", "t.yaml", fake_env({{"PORTCULLIS_WORKERS", "2"}}));
  ASSERT_FALSE(r.ok());  // the file itself is wrong even if the env would override it
  EXPECT_NE(r.error().reason.find("t.yaml:1:10"), std::string::npos);
}

TEST(EnvOverrides, ProcessEnvReadsGetenv) {
  ASSERT_EQ(setenv("PORTCULLIS_TEST_CONFIG_VAR", "x:1", 1), 0);
  EnvLookup env = process_env();
  EXPECT_EQ(env("PORTCULLIS_TEST_CONFIG_VAR"), std::optional<std::string>("x:1"));
  unsetenv("PORTCULLIS_TEST_CONFIG_VAR");
  EXPECT_EQ(env("PORTCULLIS_TEST_CONFIG_VAR"), std::nullopt);
}

TEST(LoadFile, MissingFileNamesPathAndReason) {
  Result<Config> r = load_config_file("/nonexistent/portcullis.yaml", no_env());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason,
            "cannot read /nonexistent/portcullis.yaml: No such file or directory");
}

TEST(LoadFile, DirectoryIsRejected) {
  Result<Config> r = load_config_file("/tmp", no_env());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "cannot read /tmp: Is a directory");
}

TEST(LoadFile, OversizedFileIsRejected) {
  TempFile f(std::string((1 << 20) + 10, '#'));
  Result<Config> r = load_config_file(f.path(), no_env());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().reason.find("larger than 1 MiB"), std::string::npos);
}

TEST(LoadFile, ErrorsNameTheFile) {
  TempFile f("workers: 2\nlimits:\n  max_headrs: 10\n");
  Result<Config> r = load_config_file(f.path(), no_env());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, f.path() +
                                  ":3:3: unknown key 'max_headrs' in section 'limits' (did you "
                                  "mean 'max_headers'?)");
  TempFile ok("workers: 2\n");
  Result<Config> c = load_config_file(ok.path(), no_env());
  ASSERT_TRUE(c.ok()) << c.error().reason;
  EXPECT_EQ(c->source, ok.path());
  EXPECT_EQ(c->workers, 2u);
}

TEST(ToYaml, RoundTripsToAnEqualConfig) {
  const char* inputs[] = {
      "",
      "listen: [\"127.0.0.1:0\", \"[::1]:8443\"]\nadmin: off\nworkers: 7\n",
      "origin: {address: \"backend:81\", max_idle: 3, retry_idempotent: false}\n"
      "timeouts: {body_idle: 1500, drain_grace: 2h}\n"
      "limits: {max_head_bytes: 4k, max_body_bytes: 0}\n"
      "stages: {request_limits: {mode: off, allowed_methods: [GET, m-search]}}\n",
  };
  for (const char* in : inputs) {
    Config c = load_ok(in);
    std::string text = to_yaml(c);
    Result<Config> back = load_config_string(text, "t.yaml", no_env());
    ASSERT_TRUE(back.ok()) << back.error().reason << "\n" << text;
    EXPECT_EQ(*back, c) << text;
  }
}

std::string read_repo_file(const std::string& rel) {
  std::ifstream in(std::string(PORTCULLIS_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Example, DeployExampleIsValidAndShowsTheDefaults) {
  const std::string path = std::string(PORTCULLIS_SOURCE_DIR) + "/deploy/examples/portcullis.yaml";
  Result<Config> r = load_config_file(path, no_env());
  ASSERT_TRUE(r.ok()) << r.error().reason;
  // The example documents the defaults: if a default changes, the example must follow.
  Config defaults = load_ok("");
  defaults.source = path;
  EXPECT_EQ(*r, defaults) << to_yaml(*r);
}

// The docs of every *.md in docs/ (configuration.md links audit-events.md and rate-limiting.md
// for the audit and rate_limit keys).
std::string all_docs() {
  std::string out;
  for (const auto& f :
       std::filesystem::directory_iterator(std::string(PORTCULLIS_SOURCE_DIR) + "/docs")) {
    if (f.path().extension() == ".md")
      out += read_repo_file("docs/" + f.path().filename().string());
  }
  return out;
}

// A key counts as documented when the docs write it as `key`, as the tail of a dotted path
// (`auto_block.enabled`, `redis.tls.verify`), as a word of a code span listing names
// (`sqli shell path ...`), or as "key:" in a YAML example.
bool documented(const std::string& doc, const std::string& key) {
  if (doc.find("`" + key + "`") != std::string::npos) return true;
  if (doc.find("." + key + "`") != std::string::npos) return true;
  for (const char* before : {"\n", " ", "{", ","}) {
    if (doc.find(before + key + ":") != std::string::npos) return true;
  }
  for (size_t open = doc.find('`'); open != std::string::npos;) {
    size_t close = doc.find('`', open + 1);
    if (close == std::string::npos) break;
    std::istringstream words(doc.substr(open + 1, close - open - 1));
    for (std::string w; words >> w;) {
      if (w == key) return true;
    }
    open = doc.find('`', close + 1);
  }
  return false;
}

TEST(Docs, EveryKeyIsDocumented) {
  std::string doc = all_docs();
  ASSERT_FALSE(doc.empty());
  // Keys to_yaml() prints that no doc describes yet. Listed so a gap is visible; remove a key
  // from here when its doc is written (the check below fails once it is).
  const std::set<std::string> known_gaps{};
  std::istringstream keys(to_yaml(Config{}));
  std::string line;
  while (std::getline(keys, line)) {
    size_t start = line.find_first_not_of(" -");
    size_t colon = line.find(':');
    if (start == std::string::npos || colon == std::string::npos || line[start] == '"') continue;
    std::string key = line.substr(start, colon - start);
    if (known_gaps.count(key) != 0) {
      EXPECT_FALSE(documented(doc, key)) << key << " is documented now: drop it from known_gaps";
      continue;
    }
    EXPECT_TRUE(documented(doc, key)) << "undocumented key: " << key;
  }
  for (std::string_view var : {kEnvListen, kEnvOrigin, kEnvWorkers, kEnvAdminListen}) {
    EXPECT_NE(doc.find(var), std::string::npos) << var;
  }
}

}  // namespace
}  // namespace portcullis::config
