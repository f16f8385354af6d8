// Loading: read the file (bounded), parse YAML (yaml-cpp exceptions stop here), run the section
// table, apply environment overrides, run the cross-section checks. A Config is returned only if
// no step reported an error.
#include "proxy/config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>

#include <cstdlib>
#include <sstream>
#include <system_error>

#include "proxy/config/reader.h"
#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

// A config larger than this is a mistake (wrong file) or an attack on the loader.
constexpr size_t kMaxConfigBytes = 1 << 20;

constexpr std::string_view kEmbeddedDefault =
    R"yaml(# Built-in configuration, used when no file is given.
listen: "0.0.0.0:8080"
origin: "127.0.0.1:3000"
admin: "127.0.0.1:9901"
workers: auto
# Every detector on, blocking (PORTCULLIS_MODE=detect to only report).
inspection:
  mode: enforce
# Every decision as one ECS JSON line on stdout.
audit:
  spool_dir: /tmp/portcullis-audit-spool
  sinks:
    - { name: stdout, type: stdout }
)yaml";

std::string errno_text(int err) { return std::error_code(err, std::system_category()).message(); }

Result<std::string> read_file(const std::string& path) {
  const std::string prefix = "cannot read " + path + ": ";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(prefix + errno_text(errno));
  std::string data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return make_error(prefix + errno_text(EISDIR));
  }
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return make_error(prefix + errno_text(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxConfigBytes) {
      ::close(fd);
      return make_error(prefix + "file is larger than 1 MiB");
    }
  }
  ::close(fd);
  return data;
}

// Runs `apply` on the value of environment variable `name` if it is set; errors name the
// variable (there is no file position to give).
template <typename Apply>
void with_env(const EnvLookup& env, std::string_view name, Reader& r, Apply&& apply) {
  std::optional<std::string> value = env(name);
  if (!value) return;
  std::string who = "environment variable " + std::string(name);
  if (value->empty()) {
    r.error(who + " is set but empty (unset it to use the file's value)");
    return;
  }
  Status s = apply(std::string_view(*value));
  if (!s.ok()) r.error(who + "='" + value->substr(0, 256) + "': " + s.error().reason);
}

void apply_env(const EnvLookup& env, Reader& r, Config& c) {
  if (!env) return;
  with_env(env, kEnvListen, r, [&](std::string_view v) -> Status {
    auto hp = parse_host_port(v, AddressUse::kListener);
    if (!hp.ok()) return hp.error();
    c.listeners = {ListenerConfig{std::move(hp).value()}};
    r.mark_set("listen", std::string(kEnvListen));
    r.mark_set("listen[0]", std::string(kEnvListen));
    return Status::Ok();
  });
  with_env(env, kEnvOrigin, r, [&](std::string_view v) -> Status {
    auto hp = parse_origin_address(v);
    if (!hp.ok()) return hp.error();
    c.upstream.address = std::move(hp).value();
    r.mark_set("origin.address", std::string(kEnvOrigin));
    return Status::Ok();
  });
  with_env(env, kEnvWorkers, r, [&](std::string_view v) -> Status {
    auto n = parse_workers(v);
    if (!n.ok()) return n.error();
    c.workers = *n;
    return Status::Ok();
  });
  with_env(env, kEnvAdminListen, r, [&](std::string_view v) -> Status {
    if (v == "off") {
      c.admin.enabled = false;
      return Status::Ok();
    }
    auto hp = parse_host_port(v, AddressUse::kAdmin);
    if (!hp.ok()) return hp.error();
    c.admin.enabled = true;
    c.admin.address = std::move(hp).value();
    r.mark_set("admin.address", std::string(kEnvAdminListen));
    return Status::Ok();
  });
  apply_inspection_env(env, r, c);  // PORTCULLIS_MODE (section_inspection.cc)
}

// Records where each document starts; ignores everything else.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  std::vector<YAML::Mark> starts;
};

// Anything after the first document is an error. Not YAML::LoadAll: on a stray flow token at the
// top level (a file starting with ',') yaml-cpp 0.7's parser stops advancing and LoadAll loops
// allocating empty documents until memory runs out (found by fuzz_proxy_config). Load() returns a
// null document for such input, which would silently mean "all defaults"; this bounded second
// pass catches it.
void check_single_document(const std::string& text, Reader& r) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts events;
  if (!parser.HandleNextDocument(events)) return;
  if (!parser.HandleNextDocument(events)) return;
  YAML::Mark at = events.starts.empty() ? YAML::Mark::null_mark() : events.starts.back();
  r.error_at(at, "unexpected content after the first YAML document (one document per file)");
}

void parse_yaml(std::string_view yaml, Reader& r, Config& c) {
  // yaml-cpp reports errors by throwing; nothing of it escapes this function.
  try {
    const std::string text(yaml);
    YAML::Node root = YAML::Load(text);
    check_single_document(text, r);
    if (!r.ok() || root.IsNull()) return;  // empty file: all defaults
    if (!root.IsMap()) {
      r.error_at(root.Mark(),
                 "the top level must be a map of sections, got " + std::string(node_kind(root)));
      return;
    }
    parse_root(Entry{"", root, root.Mark()}, r, c);
  } catch (const YAML::Exception& e) {
    r.error_at(e.mark, "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    r.error(r.source() + ": cannot parse: " + e.what());
  }
}

}  // namespace

std::string_view to_string(StageMode mode) {
  switch (mode) {
    case StageMode::kEnforce:
      return "enforce";
    case StageMode::kMonitor:
      return "monitor";
    case StageMode::kOff:
      return "off";
  }
  return "unknown";
}

std::string HostPort::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out;
  out.reserve(host.size() + 8);
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup no_env() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

std::string_view embedded_default_config() { return kEmbeddedDefault; }

Result<Config> load_config_string(std::string_view yaml, std::string_view source_name,
                                  const EnvLookup& env) {
  Reader r{std::string(source_name)};
  Config c;
  c.source = std::string(source_name);
  parse_yaml(yaml, r, c);
  if (!r.ok()) return r.to_error();  // env and checks would only add noise to a broken file
  apply_env(env, r, c);
  if (c.workers == 0) c.workers = parse_workers("auto").value();
  check_config(r, c);
  if (!r.ok()) return r.to_error();
  return c;
}

Result<Config> load_config_file(const std::string& path, const EnvLookup& env) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.error();
  return load_config_string(*text, path, env);
}

Result<Config> load_config(const std::string& path, const EnvLookup& env) {
  if (path.empty()) return load_config_string(kEmbeddedDefault, "<embedded>", env);
  return load_config_file(path, env);
}

}  // namespace portcullis::config
