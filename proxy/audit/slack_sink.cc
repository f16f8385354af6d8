#include "proxy/audit/slack_sink.h"

#include "proxy/audit/json_writer.h"

namespace portcullis::audit {

SlackSink::SlackSink(const config::AuditSinkConfig& cfg, Url url)
    : cfg_(cfg), url_(std::move(url)) {}

std::string_view SlackSink::json_field(std::string_view json, std::string_view key) {
  std::string pat = "\"" + std::string(key) + "\":\"";
  size_t p = json.find(pat);
  if (p == std::string_view::npos) return {};
  p += pat.size();
  size_t e = p;
  while (e < json.size() && json[e] != '"') e += json[e] == '\\' ? 2 : 1;
  return json.substr(p, e > json.size() ? json.size() - p : e - p);
}

Status SlackSink::deliver(std::span<const Record> batch) {
  auto now = std::chrono::steady_clock::now();
  for (const Record& r : batch) {
    std::string_view action = json_field(r.json, "action");
    std::string_view detector = json_field(r.json, "detector");
    std::string key = std::string(action) + "|" + std::string(detector);
    auto [it, fresh] = windows_.try_emplace(key);
    Window& w = it->second;
    if (fresh) {
      w.opened = now;
      w.detector = std::string(detector);
      w.sample =
          std::string(json_field(r.json, "method")) + " " + std::string(json_field(r.json, "path"));
    }
    ++w.count;
    if (r.priority < w.priority) w.priority = r.priority;
    std::string_view client = json_field(
        r.json.substr(r.json.find("\"client\":") == std::string::npos ? 0
                                                                      : r.json.find("\"client\":")),
        "ip");
    if (w.clients.size() < 20 && !client.empty()) w.clients.insert(std::string(client));
  }
  poll();
  return Status::Ok();
}

void SlackSink::close_window(const std::string& key, Window& w) {
  std::string action = key.substr(0, key.find('|'));
  std::string text = "[P" + std::to_string(w.priority) + "] Portcullis: " + action;
  if (!w.detector.empty()) text += " (" + w.detector + ")";
  text += " x" + std::to_string(w.count) + " in " +
          std::to_string(cfg_.aggregate_window.count() / 1000.0).substr(0, 5) + "s from " +
          std::to_string(w.clients.size()) + (w.clients.size() >= 20 ? "+" : "") + " client(s)";
  if (!w.clients.empty()) text += ", e.g. " + *w.clients.begin();
  if (w.sample.size() > 1) text += ", first: " + w.sample.substr(0, 200);
  std::string payload = "{\"text\":\"";
  json_escape(text, payload);
  payload += "\"}";
  if (outbox_.size() >= 256) outbox_.pop_front();
  outbox_.push_back(std::move(payload));
}

void SlackSink::poll() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now - it->second.opened >= cfg_.aggregate_window) {
      close_window(it->first, it->second);
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
  while (!outbox_.empty() && now >= next_try_) {
    TlsOptions tls;
    tls.verify = cfg_.tls_verify;
    tls.ca_file = cfg_.ca_file;
    auto r =
        http_post(url_, {"Content-Type: application/json"}, outbox_.front(), tls, cfg_.timeout);
    if (r && r->status >= 200 && r->status < 300) {
      outbox_.pop_front();
      ++sent_;
      backoff_ = std::chrono::milliseconds(200);
      continue;
    }
    if (r && r->status >= 400 && r->status < 500 && r->status != 429 && r->status != 408) {
      outbox_.pop_front();  // rejected payload: retrying cannot help
      continue;
    }
    next_try_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, cfg_.backoff_max);
    break;
  }
}

}  // namespace portcullis::audit
