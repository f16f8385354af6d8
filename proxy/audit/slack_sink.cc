#include "proxy/audit/slack_sink.h"

#include <cstdio>
#include <ctime>

#include "proxy/audit/atomic_file.h"
#include "proxy/audit/json_writer.h"

namespace portcullis::audit {
namespace {

int64_t wall_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// Windows beyond kMaxWindows distinct keys share this one (counts are never lost).
constexpr std::string_view kOverflowKey = "*|";

// event.id: 32 hex digits (event_json.cc); false for anything else (then never de-duplicated).
bool parse_event_id(std::string_view hex, SlackEventId& id) {
  if (hex.size() != 32) return false;
  uint64_t v[2] = {0, 0};
  for (size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v[i / 16] = (v[i / 16] << 4) | static_cast<uint64_t>(d);
  }
  id = {v[0], v[1]};
  return true;
}

}  // namespace

SlackSink::SlackSink(const config::AuditSinkConfig& cfg, Url url, std::string state_path)
    : cfg_(cfg), url_(std::move(url)), state_path_(std::move(state_path)) {
  if (state_path_.empty()) return;
  auto text = read_small_file(state_path_, 4u << 20);
  if (!text) {
    load_error_ = text.error().reason;
    return;
  }
  if (text->empty()) return;
  auto st = decode_slack_state(*text);
  if (!st) {
    // Keep the evidence, start clean: a checksum failure means a disk fault, not a torn write
    // (the file is only ever replaced by rename).
    load_error_ = state_path_ + ": " + st.error().reason;
    (void)std::rename(state_path_.c_str(), (state_path_ + ".corrupt").c_str());
    return;
  }
  state_ = std::move(st.value());
  recent_set_.insert(state_.recent_ids.begin(), state_.recent_ids.end());
}

bool SlackSink::seen(const SlackEventId& id) {
  if (!recent_set_.insert(id).second) return true;
  state_.recent_ids.push_back(id);
  if (state_.recent_ids.size() > SlackState::kMaxRecentIds) {
    recent_set_.erase(state_.recent_ids.front());
    state_.recent_ids.pop_front();
  }
  return false;
}

std::string_view SlackSink::json_field(std::string_view json, std::string_view key) {
  std::string pat = "\"" + std::string(key) + "\":\"";
  size_t p = json.find(pat);
  if (p == std::string_view::npos) return {};
  p += pat.size();
  size_t e = p;
  while (e < json.size() && json[e] != '"') e += json[e] == '\\' ? 2 : 1;
  return json.substr(p, e > json.size() ? json.size() - p : e - p);
}

Status SlackSink::persist() {
  if (state_path_.empty()) return Status::Ok();
  encode_slack_state(state_, encoded_);
  Status st = write_file_atomic(state_path_, encoded_);
  dirty_ = !st.ok();
  return st;
}

Status SlackSink::deliver(std::span<const Record> batch) {
  // The batch counts as delivered only once it is on disk: on a failed write the windows go back
  // to what the file says and the runner spools the batch (no double count on its retry).
  auto before = state_.windows;
  auto before_ids = state_.recent_ids;
  const bool was_dirty = dirty_;
  const int64_t now = wall_ms();
  uint64_t dups = 0;
  for (const Record& r : batch) {
    // event.id is the first "id" of our encoding (it precedes http.request.id and trace.id).
    SlackEventId id;
    if (parse_event_id(json_field(r.json, "id"), id) && seen(id)) {
      ++dups;
      continue;
    }
    std::string_view action = json_field(r.json, "action");
    std::string_view detector = json_field(r.json, "detector");
    std::string key = std::string(action) + "|" + std::string(detector);
    // One slot stays reserved for the overflow window itself.
    if (state_.windows.size() >= SlackState::kMaxWindows - 1 && !state_.windows.contains(key)) {
      key = kOverflowKey;
    }
    auto [it, fresh] = state_.windows.try_emplace(key);
    SlackWindow& w = it->second;
    if (fresh) {
      w.opened_ms = now;
      if (key == kOverflowKey) {
        w.action = "(other actions)";
      } else {
        w.action = std::string(action);
        w.detector = std::string(detector);
      }
      w.sample =
          std::string(json_field(r.json, "method")) + " " + std::string(json_field(r.json, "path"));
      if (w.sample.size() > SlackState::kMaxSample) w.sample.resize(SlackState::kMaxSample);
    }
    ++w.count;
    if (r.priority < w.priority) w.priority = r.priority;
    size_t c = r.json.find("\"client\":");
    std::string_view client =
        json_field(std::string_view(r.json).substr(c == std::string::npos ? 0 : c), "ip");
    if (w.clients.size() < SlackState::kMaxClients && !client.empty()) {
      w.clients.insert(std::string(client));
    }
  }
  Status st = persist();
  if (!st) {
    state_.windows = std::move(before);
    state_.recent_ids = std::move(before_ids);
    recent_set_.clear();
    recent_set_.insert(state_.recent_ids.begin(), state_.recent_ids.end());
    dirty_ = was_dirty;
    return st;
  }
  duplicates_ += dups;
  poll();
  return Status::Ok();
}

void SlackSink::close_window(const SlackWindow& w) {
  std::string text = "[P" + std::to_string(w.priority) + "] Portcullis: " + w.action;
  if (!w.detector.empty()) text += " (" + w.detector + ")";
  text += " x" + std::to_string(w.count) + " in " +
          std::to_string(cfg_.aggregate_window.count() / 1000.0).substr(0, 5) + "s from " +
          std::to_string(w.clients.size()) +
          (w.clients.size() >= SlackState::kMaxClients ? "+" : "") + " client(s)";
  if (!w.clients.empty()) text += ", e.g. " + *w.clients.begin();
  if (w.sample.size() > 1) text += ", first: " + w.sample;
  SlackAlert a;
  a.payload = "{\"text\":\"";
  json_escape(text, a.payload);
  a.payload += "\"}";
  a.events = w.count;
  if (state_.outbox.size() >= SlackState::kMaxOutbox) {
    // Bounded memory and file: the oldest alert goes, and the loss is counted and announced.
    uint64_t lost = state_.outbox.front().events;
    state_.outbox.pop_front();
    dropped_.fetch_add(lost, std::memory_order_relaxed);
    state_.unannounced_drops += lost;
  }
  state_.outbox.push_back(std::move(a));
}

void SlackSink::poll() {
  const int64_t now_ms = wall_ms();
  const int64_t window_ms = cfg_.aggregate_window.count();
  bool changed = dirty_;
  for (auto it = state_.windows.begin(); it != state_.windows.end();) {
    int64_t age = now_ms - it->second.opened_ms;
    // age < -window: the wall clock stepped back past the window; close rather than wait.
    if (age >= window_ms || age < -window_ms) {
      close_window(it->second);
      it = state_.windows.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed) (void)persist();  // on failure dirty_ stays set and the next poll retries
  auto now = std::chrono::steady_clock::now();
  bool popped = false;
  while (!state_.outbox.empty() && now >= next_try_) {
    TlsOptions tls;
    tls.verify = cfg_.tls_verify;
    tls.ca_file = cfg_.ca_file;
    auto r = http_post(url_, {"Content-Type: application/json"}, state_.outbox.front().payload, tls,
                       cfg_.timeout);
    if (r && r->status >= 200 && r->status < 300) {
      state_.outbox.pop_front();
      popped = true;
      last_post_ok_ = true;
      ++sent_;
      backoff_ = std::chrono::milliseconds(200);
      continue;
    }
    last_post_ok_ = false;
    if (r && r->status >= 400 && r->status < 500 && r->status != 429 && r->status != 408) {
      // Rejected payload (revoked webhook, bad format): retrying cannot help; a counted drop.
      uint64_t lost = state_.outbox.front().events;
      state_.outbox.pop_front();
      popped = true;
      dropped_.fetch_add(lost, std::memory_order_relaxed);
      state_.unannounced_drops += lost;
      continue;
    }
    next_try_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, cfg_.backoff_max);
    break;
  }
  // Crash between a 2xx and this write: that alert is sent again (at-least-once).
  if (popped) (void)persist();
}

uint64_t SlackSink::take_unannounced_drops() {
  // "Back" = the webhook accepted an alert and nothing older is waiting.
  if (state_.unannounced_drops == 0 || !last_post_ok_ || !state_.outbox.empty()) return 0;
  uint64_t n = state_.unannounced_drops;
  state_.unannounced_drops = 0;
  (void)persist();
  return n;
}

}  // namespace portcullis::audit
