#include "proxy/stages/inspection/inspection_stage.h"

#include <algorithm>

#include "proxy/stages/inspection/head_inputs.h"
#include "rules/inspect/engine.h"
#include "rules/inspect/location_pattern.h"

namespace portcullis::stages {
namespace {

using pipeline::RequestContext;
using pipeline::Verdict;

// Per worker thread: the extraction and decoding buffers, reused for every request.
struct Scratch {
  rules::Extractor extractor;
  rules::InspectionEngine engine;
  rules::InputFindings findings;
};
Scratch& scratch() {
  static thread_local Scratch s;
  return s;
}

// Bridges extraction to the engine and records findings in the request context.
class RecordingSink : public rules::InputSink {
 public:
  RecordingSink(const InspectionStage& stage, const InspectionStage::Policy& policy,
                RequestContext& ctx, uint32_t max_input_bytes)
      : stage_(stage), policy_(policy), ctx_(ctx) {
    opts_.enabled = policy.enforce | policy.monitor;
    opts_.max_input_bytes = max_input_bytes;
  }

  bool on_input(const rules::Input& in) override {
    if (stage_.is_excluded(policy_, in.location)) return true;
    Scratch& s = scratch();
    if (s.engine.inspect(in, opts_, s.findings) == 0) return true;
    for (uint8_t i = 0; i < s.findings.count; ++i) {
      const rules::Finding& f = s.findings.items[i];
      const bool blocks = (policy_.enforce & rules::detector_bit(f.detector)) != 0;
      if (pipeline::Detection* d = ctx_.add_detection()) {
        d->finding = f;
        d->stage = "inspection";
        d->blocked = blocks && policy_.limits_block;
        d->set_location(in.location);
        d->set_excerpt(s.findings.decoded.text);
      }
      if (blocks && block_reason_.empty()) block_reason_ = rules::detector_name(f.detector);
      if (!blocks && monitor_reason_.empty()) monitor_reason_ = rules::detector_name(f.detector);
    }
    return true;
  }

  std::string_view block_reason_;
  std::string_view monitor_reason_;

 private:
  const InspectionStage& stage_;
  const InspectionStage::Policy& policy_;
  RequestContext& ctx_;
  rules::InspectOptions opts_;
};

bool method_in(const std::vector<std::string>& methods, std::string_view m) {
  if (methods.empty()) return true;
  for (const std::string& x : methods) {
    if (x == m) return true;
  }
  return false;
}

bool is_client_bypassed(const net::CidrSet& set, std::string_view ip) {
  if (set.empty() || ip.empty()) return false;
  auto addr = net::IpAddress::parse(ip);
  return addr.ok() && set.contains(*addr);
}

Verdict finish(RequestContext& ctx, const RecordingSink& sink) {
  if (!sink.block_reason_.empty()) return Verdict::Block(403, sink.block_reason_);
  if (!sink.monitor_reason_.empty()) {
    // A detector (or route) in monitor mode: count it as a would-be block, let it pass.
    ctx.monitored_block = true;
    if (ctx.blocked_by.empty()) {
      ctx.blocked_by = "inspection";
      ctx.block_reason = sink.monitor_reason_;
    }
  }
  return Verdict::Continue();
}

}  // namespace

Result<std::unique_ptr<InspectionStage>> InspectionStage::create(
    const config::InspectionConfig& cfg) {
  std::unique_ptr<InspectionStage> s(new InspectionStage(cfg));
  s->limits_.max_inputs = cfg.max_inputs;
  s->limits_.max_depth = cfg.max_depth;
  s->limits_.inspect_file_contents = cfg.inspect_file_contents;
  std::vector<net::Cidr> cidrs;
  for (const std::string& text : cfg.bypass_ips) {
    auto c = net::Cidr::parse(text);
    if (!c.ok()) return make_error("inspection.bypass_ips: " + c.error().reason);
    cidrs.push_back(*c);
  }
  s->bypass_ = net::CidrSet::build(cidrs);
  for (const config::InspectionRoute& r : cfg.routes) {
    s->routes_.push_back(Route{r.methods, r.path, r.mode, r.detectors, r.exclude});
  }
  return s;
}

InspectionStage::Policy InspectionStage::policy_for(const RequestContext& ctx) const {
  Policy p;
  // ctx.bypass_inspection: an allow-listed client (access_lists with bypass_inspection: true).
  if (ctx.bypass_inspection || is_client_bypassed(bypass_, ctx.client_ip)) {
    p.off = true;
    return p;
  }
  config::StageMode stage_mode = cfg_.mode;
  std::array<config::StageMode, config::kNumDetectors> modes = cfg_.detectors;
  if (ctx.head != nullptr && !routes_.empty()) {
    std::string_view path, query;
    split_target(ctx.head->target, &path, &query);
    for (const Route& r : routes_) {
      if (!method_in(r.methods, ctx.head->method) || !rules::glob_match(r.path, path)) continue;
      if (r.mode) stage_mode = *r.mode;
      for (size_t i = 0; i < modes.size(); ++i) {
        if (r.detectors[i]) modes[i] = *r.detectors[i];
      }
      p.route_exclude = &r.exclude;
      break;  // first matching route wins
    }
  }
  if (stage_mode == config::StageMode::kOff) {
    p.off = true;
    return p;
  }
  for (size_t i = 0; i < modes.size(); ++i) {
    const auto bit = static_cast<rules::DetectorSet>(1u << i);
    if (modes[i] == config::StageMode::kEnforce) p.enforce |= bit;
    if (modes[i] == config::StageMode::kMonitor) p.monitor |= bit;
  }
  if (stage_mode == config::StageMode::kMonitor) {
    // Recorded as not blocked; the pipeline also never enforces a monitor stage.
    p.limits_block = false;
  }
  if (p.enforce == 0 && p.monitor == 0) p.off = true;
  return p;
}

bool InspectionStage::is_excluded(const Policy& p, std::string_view location) const {
  for (const std::string& pattern : cfg_.exclude) {
    if (rules::glob_match(pattern, location)) return true;
  }
  if (p.route_exclude != nullptr) {
    for (const std::string& pattern : *p.route_exclude) {
      if (rules::glob_match(pattern, location)) return true;
    }
  }
  return false;
}

Verdict InspectionStage::limit_verdict(RequestContext& ctx, const Policy& p,
                                       config::LimitAction action, uint16_t status,
                                       std::string_view reason, std::string_view what) const {
  if (action != config::LimitAction::kBlock) return Verdict::Continue();
  if (pipeline::Detection* d = ctx.add_detection()) {
    d->finding.detector = rules::Detector::kGeneric;
    d->finding.context = "limits";
    d->finding.reason = what;
    d->finding.set_fingerprint(reason);
    d->stage = "inspection";
    d->blocked = p.limits_block;
    d->set_location("request");
  }
  if (!p.limits_block) {
    ctx.monitored_block = true;
    if (ctx.blocked_by.empty()) {
      ctx.blocked_by = "inspection";
      ctx.block_reason = reason;
    }
    return Verdict::Continue();
  }
  return Verdict::Block(status, reason);
}

Verdict InspectionStage::on_request_head(RequestContext& ctx) const {
  if (ctx.head == nullptr) return Verdict::Continue();
  const Policy p = policy_for(ctx);
  if (p.off) return Verdict::Continue();
  Scratch& s = scratch();
  s.extractor.reset(limits_);
  s.engine.begin_request();
  RecordingSink sink(*this, p, ctx, cfg_.max_input_bytes);
  HeadSelection sel{cfg_.inspect_path, cfg_.inspect_cookies, cfg_.headers};
  rules::ExtractResult r = extract_head(*ctx.head, sel, s.extractor, sink);
  Verdict v = finish(ctx, sink);
  if (!v.is_continue()) return v;
  if (r.has(rules::kExtractTooManyInputs)) {
    return limit_verdict(ctx, p, cfg_.on_max_inputs, 403, "inspection_too_many_inputs",
                         "more inputs than inspection.max_inputs");
  }
  return v;
}

uint64_t InspectionStage::wants_body(const RequestContext& ctx) const {
  if (ctx.head == nullptr || cfg_.max_body_bytes == 0) return 0;
  if (ctx.head->framing == http::BodyFraming::kNone) return 0;
  if (ctx.head->framing == http::BodyFraming::kContentLength && ctx.head->content_length == 0) {
    return 0;
  }
  rules::BodyType type = rules::classify_body(find_header(*ctx.head, "content-type"));
  if (type.kind == rules::BodyKind::kNone) return 0;
  if (policy_for(ctx).off) return 0;
  // A larger body arrives as a prefix (last == false): on_max_body decides what that means.
  uint64_t want = cfg_.max_body_bytes;
  if (ctx.head->framing == http::BodyFraming::kContentLength) {
    want = std::min<uint64_t>(want, ctx.head->content_length);
  }
  return want;
}

Verdict InspectionStage::on_body_chunk(RequestContext& ctx, std::string_view chunk,
                                       bool last) const {
  if (ctx.head == nullptr) return Verdict::Continue();
  const Policy p = policy_for(ctx);
  if (p.off) return Verdict::Continue();
  if (!last) {
    Verdict v = limit_verdict(ctx, p, cfg_.on_max_body, 413, "inspection_body_too_large",
                              "body larger than inspection.max_body_bytes");
    if (!v.is_continue()) return v;
  }
  rules::BodyType type = rules::classify_body(find_header(*ctx.head, "content-type"));
  if (type.kind == rules::BodyKind::kNone) return Verdict::Continue();
  if (chunk.size() > cfg_.max_body_bytes) chunk = chunk.substr(0, cfg_.max_body_bytes);
  Scratch& s = scratch();
  s.extractor.reset(limits_);
  s.engine.begin_request();
  RecordingSink sink(*this, p, ctx, cfg_.max_input_bytes);
  rules::ExtractResult r = s.extractor.body(type, chunk, !last, sink);
  Verdict v = finish(ctx, sink);
  if (!v.is_continue()) return v;
  if (r.has(rules::kExtractTooDeep)) {
    if (type.kind == rules::BodyKind::kXml) {
      return limit_verdict(ctx, p, cfg_.on_max_depth, 403, "inspection_xml_too_deep",
                           "XML elements nested deeper than inspection.max_depth");
    }
    return limit_verdict(ctx, p, cfg_.on_max_depth, 403, "inspection_json_too_deep",
                         "JSON nested deeper than inspection.max_depth");
  }
  if (r.has(rules::kExtractTooManyInputs)) {
    return limit_verdict(ctx, p, cfg_.on_max_inputs, 403, "inspection_too_many_inputs",
                         "more inputs than inspection.max_inputs");
  }
  return v;
}

}  // namespace portcullis::stages
