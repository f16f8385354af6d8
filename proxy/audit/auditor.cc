#include "proxy/audit/auditor.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <random>

#include "proxy/audit/event_json.h"
#include "proxy/audit/file_sink.h"
#include "proxy/audit/http_sink.h"
#include "proxy/audit/sigpipe.h"
#include "proxy/audit/slack_sink.h"
#include "proxy/audit/syslog_sink.h"

namespace portcullis::audit {

using config::AuditSinkType;

namespace {

int64_t wall_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

// Default priorities (docs/audit-events.md "Priorities"), first match wins.
struct DefaultRule {
  std::string_view glob;
  Priority p;
};
constexpr DefaultRule kDefaults[] = {
    {"origin_lock.valid_secret_untrusted_peer", Priority::kP0},
    {"origin_lock.secret_from_untrusted_peer", Priority::kP0},
    {"*.compromise*", Priority::kP0},
    {"audit.events_dropped", Priority::kP1},
    {"auto_block.*", Priority::kP1},
    {"*.auto_block*", Priority::kP1},
    {"origin_lock.*", Priority::kP2},
    {"rate_limit.*", Priority::kP2},
    {"access_lists.*", Priority::kP2},
    {"custom_rules.*", Priority::kP2},
    {"inspection.*", Priority::kP2},
    {"request_limits.*", Priority::kP3},
    {"config.*", Priority::kP3},
    {"cloudflare.*", Priority::kP3},
    {"tls.*", Priority::kP3},
    {"proxy.*", Priority::kP3},
    {"http.request", Priority::kP4},
};

bool ieq_prefix(const char* p, size_t n, std::string_view word) {
  if (n < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = p[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

}  // namespace

Auditor::Auditor(const config::AuditConfig& cfg) : cfg_(cfg), queue_(cfg.queue_capacity) {
  std::random_device rd;
  id_hi_ = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(wall_us());
}

Result<std::unique_ptr<Auditor>> Auditor::create(const config::AuditConfig& cfg,
                                                 const config::EnvLookup& env) {
  std::unique_ptr<Auditor> a(new Auditor(cfg));
  Auditor* self = a.get();
  for (const config::AuditSinkConfig& s : cfg.sinks) {
    const std::string spool_dir = cfg.spool_dir + "/" + s.name;
    Spool::Options so;
    so.dir = spool_dir;
    so.segment_bytes = cfg.spool_segment_bytes;
    so.max_bytes = s.spool_max_bytes;
    so.fsync = cfg.fsync;
    auto spool = Spool::open(so);
    if (!spool) return make_error("audit sink '" + s.name + "': " + spool.error().reason);
    std::unique_ptr<Sink> sink;
    switch (s.type) {
      case AuditSinkType::kStdout:
        sink = std::make_unique<FileSink>("", s.rotate_bytes, s.rotate_keep);
        break;
      case AuditSinkType::kFile:
        sink = std::make_unique<FileSink>(s.path, s.rotate_bytes, s.rotate_keep);
        break;
      case AuditSinkType::kSyslogUdp:
      case AuditSinkType::kSyslogTcp:
      case AuditSinkType::kSyslogTls:
        sink = std::make_unique<SyslogSink>(s);
        break;
      case AuditSinkType::kHttp:
      case AuditSinkType::kSlack: {
        std::string url = s.url;
        if (!s.url_env.empty()) {
          auto v = env(s.url_env);
          if (!v || v->empty()) {
            return make_error("audit sink '" + s.name + "': " + s.url_env + " is not set");
          }
          url = *v;
        }
        auto u = parse_url(url);
        if (!u) return make_error("audit sink '" + s.name + "': " + u.error().reason);
        if (s.type == AuditSinkType::kSlack) {
          // Its windows and outbox live beside its spool (created by Spool::open below).
          auto slack = std::make_unique<SlackSink>(s, u.value(), spool_dir + "/slack.state");
          if (!slack->load_error().empty()) {
            std::fprintf(stderr, "audit sink '%s': %s (started without it)\n", s.name.c_str(),
                         slack->load_error().c_str());
          }
          sink = std::move(slack);
        } else {
          std::string auth;
          if (!s.auth_env.empty()) {
            auto v = env(s.auth_env);
            if (!v) return make_error("audit sink '" + s.name + "': " + s.auth_env + " is not set");
            auth = *v;
          }
          sink = std::make_unique<HttpSink>(s, u.value(), auth);
        }
        break;
      }
    }
    SinkRunner::Options ro;
    ro.name = s.name;
    ro.type = std::string(config::audit_sink_type_name(s.type));
    ro.min_priority = s.min_priority;
    ro.actions = s.actions;
    ro.batch_max = s.batch_max;
    ro.backoff_max = s.backoff_max;
    ro.memory_records = std::max<size_t>(4ull * s.batch_max, 4096);
    a->runners_.push_back(std::make_unique<SinkRunner>(
        std::move(ro), std::move(sink), std::move(spool.value()),
        [self](const std::string& sink_name, uint64_t count) {
          Event ev;
          ev.priority = Priority::kP1;
          ev.kind = EventKind::kEvent;
          ev.category.set("process");
          ev.type.set("error");
          ev.action.set("audit.events_dropped");
          ev.outcome = Outcome::kFailure;
          ev.count = count;
          ev.sink.set(sink_name);
          // The spool's size limit, or the Slack sink's alert outbox limit.
          ev.message.set("audit: " + std::to_string(count) +
                         " events were dropped (spool or alert outbox limit) for sink " +
                         sink_name);
          self->emit(ev);
        }));
  }
  for (auto& r : a->runners_) r->start();
  a->writer_ = std::thread([self] { self->run(); });
  return a;
}

Auditor::~Auditor() { stop(std::chrono::milliseconds(0)); }

bool Auditor::emit(const Event& ev) {
  uint64_t seq = seq_.fetch_add(1, std::memory_order_relaxed);
  bool ok = queue_.try_push_with([&](Event& slot) {
    slot = ev;
    slot.id_hi = id_hi_;
    slot.id_lo = seq;
    if (slot.time_us == 0) slot.time_us = wall_us();
  });
  if (ok) {
    emitted_.fetch_add(1, std::memory_order_relaxed);
  } else {
    queue_dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  return ok;
}

void Auditor::run() {
  block_sigpipe_in_this_thread();
  Event ev;
  std::string json;
  json.reserve(4096);
  for (;;) {
    size_t n = 0;
    while (n < 512 && queue_.try_pop(ev)) {
      ++n;
      json.clear();
      encode_event(ev, json);
      uint8_t prio = static_cast<uint8_t>(ev.priority);
      Record rec;
      rec.priority = prio;
      rec.created_us = ev.request_time_us != 0 ? ev.request_time_us : ev.time_us;
      for (auto& r : runners_) {
        if (!r->accepts(prio, ev.action.view())) continue;
        rec.json = json;
        r->offer(rec);
      }
      written_.fetch_add(1, std::memory_order_release);
    }
    if (n > 0) {
      for (auto& r : runners_) r->end_of_batch();
      continue;
    }
    if (stop_.load(std::memory_order_acquire)) break;
    // No wake-up syscalls on the request path: the writer polls every 2 ms when idle.
    usleep(2000);
  }
}

bool Auditor::idle() const {
  if (written_.load(std::memory_order_acquire) != emitted_.load()) return false;
  for (const auto& r : runners_) {
    if (r->backlog() != 0) return false;
  }
  return true;
}

void Auditor::stop(std::chrono::milliseconds grace) {
  if (stop_.exchange(true)) return;
  if (writer_.joinable()) writer_.join();
  for (auto& r : runners_) r->stop(grace);
}

void Auditor::reopen() {
  for (auto& r : runners_) r->reopen();
}

Priority Auditor::classify(std::string_view action, std::string_view path) const {
  for (const auto& [glob, p] : cfg_.priorities) {
    if (glob_match(glob, action)) return static_cast<Priority>(p);
  }
  Priority p = Priority::kP2;
  for (const DefaultRule& r : kDefaults) {
    if (glob_match(r.glob, action)) {
      p = r.p;
      break;
    }
  }
  // Injection against a sensitive route (admin, login) is P1 (issue 6 classification).
  if (p > Priority::kP1 && p != Priority::kP4 &&
      (action.rfind("inspection.", 0) == 0 || action.rfind("custom_rules.", 0) == 0)) {
    for (const std::string& s : cfg_.sensitive_paths) {
      if (path.rfind(s, 0) == 0) return Priority::kP1;
    }
  }
  return p;
}

void Auditor::add_redaction(std::string secret) {
  if (!secret.empty()) secrets_.push_back(std::move(secret));
}

namespace {

// Bounded output for redact(): appends until `cap`, then only records that it was cut.
struct CappedOut {
  char* p;
  size_t cap;
  size_t n = 0;
  bool cut = false;
  void put(char c) {
    if (n < cap) {
      p[n++] = c;
    } else {
      cut = true;
    }
  }
  void append(const char* s, size_t len) {
    size_t k = std::min(len, cap - n);
    std::memcpy(p + n, s, k);
    n += k;
    cut |= k < len;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
};

}  // namespace

void Auditor::redact(std::string_view in, std::string& out) const {
  // Each masked value (>= 1 byte) grows by at most the mask: 11x bounds the output.
  out.resize(in.size() * 11 + 16);
  bool cut = false;
  out.resize(redact(in, out.data(), out.size(), &cut));
}

size_t Auditor::redact(std::string_view in, char* out_buf, size_t cap, bool* cut) const {
  static constexpr std::string_view kMask = "[REDACTED]";
  static constexpr std::string_view kWholeValue[] = {"authorization", "cookie", "set-cookie"};
  CappedOut out{out_buf, cap};
  const char* buf = in.data();
  const size_t len = in.size();
  size_t i = 0;
  while (i < len && !out.cut) {
    bool hit = false;
    for (const std::string& s : secrets_) {
      if (in.compare(i, s.size(), s) == 0) {
        out.append(kMask);
        i += s.size();
        hit = true;
        break;
      }
    }
    if (hit) continue;
    // A key starts at a word boundary.
    bool boundary = i == 0 || !(std::isalnum(static_cast<unsigned char>(buf[i - 1])) ||
                                buf[i - 1] == '_' || buf[i - 1] == '-');
    size_t klen = 0;
    bool whole = false;
    bool bearer = false;
    if (boundary) {
      for (std::string_view k : kWholeValue) {
        if (ieq_prefix(buf + i, len - i, k)) {
          klen = k.size();
          whole = true;
        }
      }
      if (klen == 0 && ieq_prefix(buf + i, len - i, "bearer ")) {
        klen = 6;
        bearer = true;
      }
      for (const std::string& k : cfg_.redact_keys) {
        if (klen == 0 && ieq_prefix(buf + i, len - i, k)) klen = k.size();
      }
    }
    if (klen == 0) {
      out.put(buf[i++]);
      continue;
    }
    size_t j = i + klen;
    while (!bearer && j < len &&
           (buf[j] == '_' || std::isalnum(static_cast<unsigned char>(buf[j])))) {
      ++j;  // "password1", "session_id"
    }
    size_t k = j;
    while (k < len && (buf[k] == ' ' || buf[k] == '"' || buf[k] == '\'')) ++k;
    if (!bearer) {
      if (k >= len || (buf[k] != '=' && buf[k] != ':')) {
        out.append(buf + i, j - i);
        i = j;
        continue;
      }
      ++k;
      while (k < len && (buf[k] == ' ' || buf[k] == '"' || buf[k] == '\'')) ++k;
    }
    size_t v = k;
    while (v < len && buf[v] != '&' && buf[v] != '"' && buf[v] != '\'' && buf[v] != '\n' &&
           buf[v] != '\r' && (whole || (buf[v] != ';' && buf[v] != ',' && buf[v] != ' '))) {
      ++v;
    }
    out.append(buf + i, k - i);
    if (v > k) out.append(kMask);
    i = v;
  }
  *cut = out.cut || i < len;
  return out.n;
}

void Auditor::render_metrics(std::string& out) const {
  out += "# TYPE portcullis_audit_events_total counter\n";
  out += "portcullis_audit_events_total " + std::to_string(emitted_.load()) + "\n";
  out += "# TYPE portcullis_audit_queue_dropped_total counter\n";
  out += "portcullis_audit_queue_dropped_total " + std::to_string(queue_dropped_.load()) + "\n";
  out += "# TYPE portcullis_audit_queue_depth gauge\n";
  out += "portcullis_audit_queue_depth " + std::to_string(queue_.approx_size()) + "\n";
  // One group per family, each under its # TYPE line (Prometheus text format 0.0.4: the samples
  // of a family must not be interleaved with another's, which per-sink blocks did).
  using F = SinkRunner::Family;
  static constexpr std::pair<F, const char*> kFamilies[] = {
      {F::kSent, "portcullis_audit_sink_sent_total counter"},
      {F::kSpooled, "portcullis_audit_sink_spooled_total counter"},
      {F::kDropped, "portcullis_audit_sink_dropped_total counter"},
      {F::kErrors, "portcullis_audit_sink_errors_total counter"},
      {F::kQueued, "portcullis_audit_sink_queued gauge"},
      {F::kSpoolBytes, "portcullis_audit_sink_spool_bytes gauge"},
      {F::kCorrupt, "portcullis_audit_sink_spool_corrupt_total counter"},
      {F::kLatency, "portcullis_audit_delivery_latency_seconds histogram"},
  };
  if (runners_.empty()) return;
  for (const auto& [family, type] : kFamilies) {
    out += "# TYPE ";
    out += type;
    out += '\n';
    for (const auto& r : runners_) r->render_family(family, out);
  }
}

}  // namespace portcullis::audit
