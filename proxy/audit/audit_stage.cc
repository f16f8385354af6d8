#include "proxy/audit/audit_stage.h"

#include <algorithm>
#include <cstring>
#include <ctime>

namespace portcullis::audit {

pipeline::Verdict AuditStage::on_request_head(pipeline::RequestContext& ctx) const {
  if (ctx.head != nullptr) pipeline::capture_request_summary(*ctx.head, ctx.summary);
  return pipeline::Verdict::Continue();
}

bool AuditStage::build_event(const pipeline::RequestContext& ctx, Event& ev) const {
  const config::AuditConfig& cfg = auditor_.config();
  const bool blocked = !ctx.blocked_by.empty() && !ctx.monitored_block;
  const bool monitored = ctx.monitored_block;
  const bool detected = ctx.num_detections > 0;
  const bool upstream_error =
      cfg.upstream_errors && (ctx.response_status == 502 || ctx.response_status == 504);
  bool access = false;
  if (!blocked && !monitored && !detected && !upstream_error) {
    if (!cfg.access_events) return false;
    if (cfg.access_sample < 1.0) {
      // Deterministic sampling (every 1/rate-th request): no RNG on the request path.
      uint64_t n = sample_counter_.fetch_add(1, std::memory_order_relaxed);
      uint64_t every =
          cfg.access_sample <= 0.0 ? 0 : static_cast<uint64_t>(1.0 / cfg.access_sample);
      if (every == 0 || n % every != 0) return false;
    }
    access = true;
  }
  const pipeline::RequestSummary& s = ctx.summary;
  const pipeline::Detection* d = detected ? &ctx.detections[0] : nullptr;

  // event.action: "<stage>.<reason>" for decisions. Built in place: no allocation per event (one
  // byte more than the field holds, so an over-long action is marked truncated).
  char act[sizeof(ev.action.buf) + 1];
  size_t act_len = 0;
  auto add = [&](std::string_view part) {
    size_t k = std::min(part.size(), sizeof(act) - act_len);
    std::memcpy(act + act_len, part.data(), k);
    act_len += k;
  };
  if (blocked || monitored) {
    add(ctx.blocked_by);
    add(".");
    add(ctx.block_reason);
  } else if (d != nullptr) {
    // Detections that did not block (detect-only mode, or annotations such as a leaked origin
    // secret or a spoofed CF-Connecting-IP): "<stage>.<detector>" for inspection findings,
    // "<stage>.<reason>" for the other stages, so priorities can name them.
    std::string_view stage = d->stage.empty() ? std::string_view("inspection") : d->stage;
    add(stage);
    add(".");
    if (stage == "inspection") {
      add(rules::detector_name(d->finding.detector));
    } else {
      add(d->finding.reason.empty() ? std::string_view("detection") : d->finding.reason);
    }
  } else if (upstream_error) {
    add(ctx.response_status == 504 ? "proxy.upstream_timeout" : "proxy.upstream_error");
  } else {
    add("http.request");
  }
  const std::string_view action(act, act_len);
  ev.action.set(action);
  ev.priority = access ? Priority::kP4 : auditor_.classify(action, s.path.view());
  ev.kind = access || (upstream_error && !blocked && !monitored && d == nullptr)
                ? EventKind::kEvent
                : EventKind::kAlert;
  ev.category.set("web");
  if (blocked) {
    ev.type.set("denied");
    ev.outcome = Outcome::kFailure;
    ev.mode = Mode::kBlock;
  } else if (monitored) {
    ev.type.set("info");
    ev.outcome = Outcome::kSuccess;
    ev.mode = Mode::kMonitor;
  } else if (upstream_error) {
    ev.type.set("error");
    ev.outcome = Outcome::kFailure;
  } else {
    ev.type.set(d != nullptr ? "info" : "access");
    ev.outcome = ctx.response_status >= 400 ? Outcome::kFailure : Outcome::kSuccess;
    if (d != nullptr) ev.mode = Mode::kMonitor;
  }
  if (blocked || monitored) ev.stage.set(ctx.blocked_by);
  ev.reason.set(ctx.block_reason);
  ev.source_ip.set(ctx.peer_ip);
  ev.client_ip.set(ctx.client_ip.empty() ? ctx.peer_ip : ctx.client_ip);
  ev.request_id.set(ctx.request_id);
  ev.status = ctx.response_status;
  ev.method.set(s.method.view());
  ev.path.set(s.path.view());
  ev.query.set(s.query.view());
  ev.user_agent.set(s.user_agent.view());
  ev.ray.set(s.cf_ray.view());
  ev.trace_id.set(s.trace_id.view());
  ev.detections_total = ctx.total_detections;
  if (d != nullptr) {
    if (ev.stage.empty()) ev.stage.set(d->stage);
    ev.detector.set(rules::detector_name(d->finding.detector));
    if (ctx.block_reason.empty()) ev.reason.set(d->finding.reason);
    ev.location.set(d->location());
    ev.fingerprint.set(d->finding.fingerprint());
    if (cfg.excerpt_bytes > 0) {
      // Redacted straight into a stack buffer the size of the field: no allocation.
      char buf[sizeof(ev.excerpt.buf)];
      const size_t cap = std::min<size_t>(cfg.excerpt_bytes, sizeof(buf));
      bool cut = false;
      size_t n = 0;
      std::string_view loc = d->location();
      // A finding inside a credential header: never copy any of its value.
      if (loc.rfind("header:authorization", 0) == 0 || loc.rfind("header:cookie", 0) == 0 ||
          loc.rfind("header:proxy-authorization", 0) == 0) {
        constexpr std::string_view kMask = "[REDACTED]";
        n = std::min(kMask.size(), cap);
        std::memcpy(buf, kMask.data(), n);
        cut = n < kMask.size();
      } else {
        n = auditor_.redact(d->excerpt(), buf, cap, &cut);
      }
      ev.excerpt.set(std::string_view(buf, n));
      ev.excerpt.truncated |= cut;
    }
  }
  // Wall clock of the request start, for the delivery latency ("time to detect").
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now_us = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
  if (ctx.start.time_since_epoch().count() != 0) {
    auto age = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now() - ctx.start)
                   .count();
    ev.request_time_us = now_us - (age > 0 ? age : 0);
  } else {
    ev.request_time_us = now_us;
  }
  ev.time_us = now_us;
  return true;
}

void AuditStage::on_complete(const pipeline::RequestContext& ctx) const {
  Event ev;
  if (build_event(ctx, ev)) auditor_.emit(ev);
}

}  // namespace portcullis::audit
