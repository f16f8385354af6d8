#include "proxy/audit/event_json.h"

#include <ctime>

#include "proxy/audit/json_writer.h"

namespace portcullis::audit {

void format_rfc3339(int64_t time_us, std::string& out) {
  time_t secs = static_cast<time_t>(time_us / 1000000);
  int64_t frac = time_us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  tm t{};
  gmtime_r(&secs, &t);
  char b[40];
  size_t n = strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &t);
  snprintf(b + n, sizeof(b) - n, ".%06lldZ", static_cast<long long>(frac));
  out += b;
}

void format_event_id(const Event& ev, char out[32]) {
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) out[i] = kHex[(ev.id_hi >> (60 - 4 * i)) & 15];
  for (int i = 0; i < 16; ++i) out[16 + i] = kHex[(ev.id_lo >> (60 - 4 * i)) & 15];
}

namespace {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kFailure:
      return "failure";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "unknown";
}

template <size_t N>
void opt(JsonWriter& w, std::string_view key, const FixedStr<N>& s) {
  if (!s.empty()) w.field(key, s.view());
}

}  // namespace

void encode_event(const Event& ev, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("@timestamp");
  w.raw("\"");
  format_rfc3339(ev.time_us, out);
  out += '"';
  w.key("ecs");
  w.begin_object();
  w.field("version", kEcsVersion);
  w.end_object();

  w.key("event");
  w.begin_object();
  char id[32];
  format_event_id(ev, id);
  w.field("id", std::string_view(id, 32));
  w.field("kind", ev.kind == EventKind::kAlert ? "alert" : "event");
  w.key("category");
  w.begin_array();
  w.string(ev.category.empty() ? std::string_view("web") : ev.category.view());
  w.end_array();
  w.key("type");
  w.begin_array();
  w.string(ev.type.empty() ? std::string_view("info") : ev.type.view());
  w.end_array();
  w.field("action", ev.action.view());
  w.field("outcome", outcome_name(ev.outcome));
  w.field_int("severity", syslog_severity(ev.priority));
  w.end_object();

  if (!ev.source_ip.empty()) {
    w.key("source");
    w.begin_object();
    w.field("ip", ev.source_ip.view());
    w.end_object();
  }
  if (!ev.client_ip.empty()) {
    w.key("client");
    w.begin_object();
    w.field("ip", ev.client_ip.view());
    w.end_object();
  }
  if (!ev.method.empty() || !ev.request_id.empty() || ev.status != 0) {
    w.key("http");
    w.begin_object();
    if (!ev.method.empty() || !ev.request_id.empty()) {
      w.key("request");
      w.begin_object();
      opt(w, "method", ev.method);
      opt(w, "id", ev.request_id);
      w.end_object();
    }
    if (ev.status != 0) {
      w.key("response");
      w.begin_object();
      w.field_int("status_code", ev.status);
      w.end_object();
    }
    w.end_object();
  }
  if (!ev.path.empty() || !ev.query.empty()) {
    w.key("url");
    w.begin_object();
    opt(w, "path", ev.path);
    opt(w, "query", ev.query);
    w.end_object();
  }
  if (!ev.user_agent.empty()) {
    w.key("user_agent");
    w.begin_object();
    w.field("original", ev.user_agent.view());
    w.end_object();
  }
  if (!ev.ray.empty()) {
    w.key("cloudflare");
    w.begin_object();
    w.field("ray", ev.ray.view());
    w.end_object();
  }
  if (!ev.trace_id.empty()) {
    w.key("trace");
    w.begin_object();
    w.field("id", ev.trace_id.view());
    w.end_object();
  }
  opt(w, "message", ev.message);

  w.key("portcullis");
  w.begin_object();
  w.field("priority", priority_name(ev.priority));
  if (ev.mode != Mode::kNone) w.field("mode", ev.mode == Mode::kBlock ? "block" : "monitor");
  opt(w, "stage", ev.stage);
  opt(w, "detector", ev.detector);
  opt(w, "reason", ev.reason);
  opt(w, "location", ev.location);
  opt(w, "fingerprint", ev.fingerprint);
  opt(w, "excerpt", ev.excerpt);
  if (ev.excerpt.truncated) {
    w.key("excerpt_truncated");
    w.boolean(true);
  }
  if (ev.detections_total != 0) w.field_int("detections_total", ev.detections_total);
  if (ev.count != 0) w.field_int("count", static_cast<int64_t>(ev.count));
  opt(w, "sink", ev.sink);
  w.end_object();
  w.end_object();
}

}  // namespace portcullis::audit
