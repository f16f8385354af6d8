#include "proxy/pipeline/pipeline.h"

#include "proxy/audit/audit_stage.h"
#include "proxy/pipeline/request_limits_stage.h"
#include "proxy/pipeline/response_headers_stage.h"
#include "proxy/stages/access_lists/access_lists_stage.h"
#include "proxy/stages/custom_rules/custom_rules_stage.h"
#include "proxy/stages/inspection/inspection_stage.h"
#include "proxy/stages/origin_lock/origin_lock_stage.h"
#include "proxy/stages/rate_limit/rate_limit_stage.h"

namespace portcullis::pipeline {

Verdict Pipeline::apply(RequestContext& ctx, const Entry& e, Verdict v) const {
  if (v.is_continue()) return v;
  if (e.mode == config::StageMode::kMonitor) {
    // Shadow mode: count and log what would have happened, let the request through.
    ctx.monitored_block = true;
    if (ctx.blocked_by.empty()) {
      ctx.blocked_by = e.stage->name();
      ctx.block_reason = v.reason;
    }
    return Verdict::Continue();
  }
  ctx.blocked_by = e.stage->name();
  ctx.block_reason = v.reason;
  ctx.monitored_block = false;
  return v;
}

Verdict Pipeline::on_request_head_from(RequestContext& ctx, size_t first,
                                       size_t* pending_stage) const {
  for (size_t i = first; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.mode == config::StageMode::kOff) continue;
    Verdict v = e.stage->on_request_head(ctx);
    if (v.action == Action::kPending) {
      if (pending_stage == nullptr) return Verdict::Block(500, "async_stage_without_resume");
      *pending_stage = i;
      return v;
    }
    v = apply(ctx, e, v);
    if (!v.is_continue()) return v;
  }
  return Verdict::Continue();
}

Verdict Pipeline::resume_request_head(RequestContext& ctx, size_t index, Verdict late,
                                      size_t* pending_stage) const {
  Verdict v = apply(ctx, entries_[index], late);
  if (!v.is_continue()) return v;
  return on_request_head_from(ctx, index + 1, pending_stage);
}

uint64_t Pipeline::wants_body(const RequestContext& ctx) const {
  uint64_t most = 0;
  for (const Entry& e : entries_) {
    if (e.mode == config::StageMode::kOff) continue;
    uint64_t n = e.stage->wants_body(ctx);
    if (n > most) most = n;
  }
  return most;
}

Verdict Pipeline::on_body_chunk(RequestContext& ctx, std::string_view chunk, bool last) const {
  for (const Entry& e : entries_) {
    if (e.mode == config::StageMode::kOff || e.stage->wants_body(ctx) == 0) continue;
    Verdict v = apply(ctx, e, e.stage->on_body_chunk(ctx, chunk, last));
    if (!v.is_continue()) return v;
  }
  return Verdict::Continue();
}

void Pipeline::on_response_head(const RequestContext& ctx, uint16_t status,
                                ResponseEdits& edits) const {
  for (const Entry& e : entries_) {
    // Monitor mode has no meaning for edits (nothing is blocked): only off skips the stage.
    if (e.mode != config::StageMode::kOff) e.stage->on_response_head(ctx, status, edits);
  }
}

void Pipeline::on_complete(const RequestContext& ctx) const {
  for (const Entry& e : entries_) {
    if (e.mode != config::StageMode::kOff) e.stage->on_complete(ctx);
  }
}

Result<std::unique_ptr<Pipeline>> build_pipeline(const config::Config& cfg,
                                                 const Services& services) {
  std::vector<Pipeline::Entry> entries;
  // Phase order (DESIGN.md): origin_lock, access_lists, rate_limit, inspection, custom_rules.
  // request_limits runs first of all: it is cheap and rejects what no later stage should parse.
  entries.push_back({std::make_unique<RequestLimitsStage>(cfg.stages.request_limits),
                     cfg.stages.request_limits.mode});
  // Origin lock first among the security stages: every later stage must see the real client IP,
  // and a request that did not come through Cloudflare is refused before any inspection.
  auto lock = origin_lock::build_origin_lock(cfg.origin_lock, config::process_env(),
                                             origin_lock::process_ranges_store());
  if (!lock.ok()) return lock.error();
  if (lock->stage) entries.push_back({std::move(lock->stage), lock->mode});
  // Access lists, then rate limits: both before inspection, so refused clients cost no parsing.
  auto lists = access_lists::build_access_lists(cfg.access_lists, cfg.rate_limit.user);
  if (!lists.ok()) return lists.error();
  if (lists.value()) entries.push_back({std::move(lists).value(), cfg.access_lists.mode});
  auto limits =
      rate_limit::build_rate_limit(cfg.rate_limit, config::process_env(), services.rate_limit);
  if (!limits.ok()) return limits.error();
  if (limits.value()) entries.push_back({std::move(limits).value(), cfg.rate_limit.mode});
  // Injection detection after the cheap access decisions (origin_lock, rate_limit go before).
  auto inspection = stages::InspectionStage::create(cfg.inspection);
  if (!inspection.ok()) return inspection.error();
  entries.push_back({std::move(inspection).value(), cfg.inspection.mode});
  // Custom rules after inspection (an allow rule therefore cannot bypass the detectors), with
  // the same extracted inputs. Built only when rule files are configured.
  if (!cfg.custom_rules.files.empty()) {
    auto custom = stages::CustomRulesStage::create(cfg.custom_rules);
    if (!custom.ok()) return custom.error();
    entries.push_back({std::move(custom).value(), cfg.custom_rules.mode});
  }
  entries.push_back({std::make_unique<ResponseHeadersStage>(cfg.stages.response_headers),
                     cfg.stages.response_headers.mode});
  // Audit last: it records what the stages before it decided (on_complete runs for every request).
  if (services.auditor != nullptr) {
    entries.push_back(
        {std::make_unique<audit::AuditStage>(*services.auditor), config::StageMode::kEnforce});
  }
  return std::make_unique<Pipeline>(std::move(entries));
}

}  // namespace portcullis::pipeline
