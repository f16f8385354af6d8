// build_origin_lock: config + environment -> OriginLockStage, or an error that stops start-up
// (and, on reload, keeps the running configuration). Nothing half-built reaches the data path.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "proxy/stages/origin_lock/origin_lock_stage.h"
#include "rules/net/cloudflare_ranges.h"

namespace portcullis::origin_lock {
namespace {

constexpr size_t kMaxRangesFileBytes = 4 << 20;  // Cloudflare's lists are ~1 KiB

// Same line format as proxy/server/log.cc (this library sits below proxy_server).
void log_warning(const std::string& msg) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  std::fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ portcullis warn: origin_lock: %s\n",
               t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
               static_cast<long>(tv.tv_usec / 1000), msg.c_str());
}

Result<std::string> read_bounded(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot read " + path + ": " + std::strerror(errno));
  std::string data;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return make_error("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxRangesFileBytes) {
      ::close(fd);
      return make_error("cannot read " + path + ": larger than 4 MiB");
    }
  }
  ::close(fd);
  return data;
}

// The variable's value; error if set but empty (an empty secret must never mean "no lock").
Result<std::optional<std::string>> env_value(const config::EnvLookup& env, std::string_view name) {
  if (!env) return std::optional<std::string>();
  std::optional<std::string> v = env(name);
  if (v && v->empty()) {
    return make_error("environment variable " + std::string(name) +
                      " is set but empty (unset it instead)");
  }
  return v;
}

}  // namespace

Result<OriginLockBuild> build_origin_lock(const config::OriginLockConfig& cfg,
                                          const config::EnvLookup& env, RangesStore& store) {
  OriginLockBuild out;
  OriginLockSettings s;
  s.mode = cfg.mode;
  s.action = cfg.action;
  s.require_trusted_peer = cfg.require_trusted_peer;
  s.true_client_ip = cfg.true_client_ip;
  s.secret_header = cfg.secret_header;
  s.allowed_hosts = cfg.allowed_hosts;
  s.authenticated_origin_pulls = cfg.authenticated_origin_pulls;

  auto enforce = env_value(env, config::kEnvEnforceOriginLock);
  if (!enforce.ok()) return enforce.error();
  if (*enforce) {
    auto m = config::parse_lock_mode(**enforce);
    if (!m.ok()) {
      return make_error("environment variable " + std::string(config::kEnvEnforceOriginLock) +
                        ": " + m.error().reason);
    }
    s.mode = *m;
  }
  s.real_client_ip = cfg.real_client_ip.value_or(s.mode != config::LockMode::kOff);

  auto secret = env_value(env, config::kEnvOriginSecret);
  if (!secret.ok()) return secret.error();
  auto previous = env_value(env, config::kEnvOriginSecretPrevious);
  if (!previous.ok()) return previous.error();
  if (*previous && !*secret) {
    return make_error(std::string(config::kEnvOriginSecretPrevious) + " is set without " +
                      std::string(config::kEnvOriginSecret) +
                      " (during a rotation both are set; afterwards only the new one)");
  }
  for (const auto* v : {&*secret, &*previous}) {
    if (*v && (*v)->size() < kMinSecretBytes) {
      return make_error(
          std::string(v == &*secret ? config::kEnvOriginSecret : config::kEnvOriginSecretPrevious) +
          " is shorter than " + std::to_string(kMinSecretBytes) +
          " bytes (use e.g. `openssl rand -hex 32`)");
    }
  }
  if (cfg.require_secret && !*secret) {
    return make_error("origin_lock.require_secret is true but " +
                      std::string(config::kEnvOriginSecret) + " is not set");
  }
  if (*secret) s.secret = SecretMatcher(**secret, *previous ? **previous : std::string());

  if (s.mode == config::LockMode::kOff && !s.real_client_ip && !s.secret.configured()) {
    return out;  // nothing to do: no stage in the pipeline
  }
  if (s.mode != config::LockMode::kOff && !s.require_trusted_peer && !s.secret.configured() &&
      s.allowed_hosts.empty() && !s.authenticated_origin_pulls) {
    return make_error(
        "origin_lock is on but no mechanism is configured (require_trusted_peer is "
        "false, " +
        std::string(config::kEnvOriginSecret) + " is not set, no allowed_hosts)");
  }

  std::vector<net::Cidr> proxies;
  for (size_t i = 0; i < cfg.trusted_proxies.size(); ++i) {
    auto c = net::Cidr::parse(cfg.trusted_proxies[i]);
    if (!c.ok()) {
      return make_error("origin_lock.trusted_proxies[" + std::to_string(i) +
                        "]: " + c.error().reason);
    }
    proxies.push_back(*c);
  }
  s.trusted_proxies = net::CidrSet::build(proxies);

  if (cfg.cloudflare_ranges) {
    auto file = env_value(env, config::kEnvRangesFile);
    if (!file.ok()) return file.error();
    std::string path = *file ? **file : cfg.ranges_file;
    Result<net::RangeFile> candidate = make_error("unset");
    std::string source;
    size_t entries = 0;
    if (path.empty()) {
      source = "<shipped>";
      candidate = net::cloudflare_ranges();
      entries = count_entries(net::cloudflare_ips_v4_text()) +
                count_entries(net::cloudflare_ips_v6_text());
    } else {
      source = path;
      Result<std::string> text = read_bounded(path);
      if (text.ok()) entries = count_entries(*text);
      candidate =
          text.ok() ? net::parse_range_file(*text, path) : Result<net::RangeFile>(text.error());
    }
    auto outcome = store.offer(std::move(candidate), source, entries);
    if (!outcome.ok()) return outcome.error();
    if (outcome->refused) out.warnings.push_back(outcome->message);
    s.cloudflare = outcome->snapshot.set;
    if (std::optional<int64_t> age = store.age_seconds(std::chrono::system_clock::now());
        age && *age > int64_t{cfg.max_ranges_age_days} * 86400) {
      out.warnings.push_back("Cloudflare range list " + outcome->snapshot.source + " is " +
                             std::to_string(*age / 86400) + " days old (max_ranges_age_days " +
                             std::to_string(cfg.max_ranges_age_days) +
                             "): refresh it from Cloudflare's published lists");
    }
  }

  for (const std::string& w : out.warnings) log_warning(w);
  switch (s.mode) {
    case config::LockMode::kEnforce:
      out.mode = config::StageMode::kEnforce;
      break;
    case config::LockMode::kMonitor:
      out.mode = config::StageMode::kMonitor;
      break;
    case config::LockMode::kOff:
      // Only the real client IP (and leak detection) runs; the stage never blocks in this mode.
      out.mode = config::StageMode::kEnforce;
      break;
  }
  out.stage = std::make_unique<OriginLockStage>(std::move(s));
  return out;
}

}  // namespace portcullis::origin_lock
