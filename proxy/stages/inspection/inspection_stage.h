// InspectionStage ("inspection"): Zen-style injection detection on every user-controlled input.
//   on_request_head  query (keys and values, bracket notation), path, cookies, configured headers
//   wants_body       inspection.max_body_bytes for urlencoded / JSON / multipart / XML bodies,
//                    else 0
//   on_body_chunk    the held body (or its prefix): form fields, JSON keys and strings, multipart,
//                    XML attribute values, character data and DOCTYPE
// Every finding is recorded in ctx (detector, location, fingerprint, excerpt) whether it blocks
// or not. A blocking finding returns Block(403, "<detector>"); in monitor mode the pipeline turns
// that into a recorded, unenforced block. Per-route overrides (method + path glob) switch
// detectors off or to monitor; location patterns exclude parameters; bypass_ips skip everything.
// Built once from a validated InspectionConfig and const afterwards; the per-thread scratch
// (extractor + decoder buffers) is thread_local, so workers share one stage.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/pipeline/stage.h"
#include "rules/base/result.h"
#include "rules/inputs/extractor.h"
#include "rules/net/cidr_set.h"

namespace portcullis::stages {

class InspectionStage : public pipeline::Stage {
 public:
  static Result<std::unique_ptr<InspectionStage>> create(const config::InspectionConfig& cfg);

  std::string_view name() const override { return "inspection"; }
  pipeline::Verdict on_request_head(pipeline::RequestContext& ctx) const override;
  uint64_t wants_body(const pipeline::RequestContext& ctx) const override;
  pipeline::Verdict on_body_chunk(pipeline::RequestContext& ctx, std::string_view chunk,
                                  bool last) const override;

  // What applies to one request after route overrides.
  struct Policy {
    bool off = false;
    rules::DetectorSet enforce = 0;  // detectors whose findings block
    rules::DetectorSet monitor = 0;  // detectors whose findings are only recorded
    bool limits_block = true;        // false when the route or stage is in monitor mode
    const std::vector<std::string>* route_exclude = nullptr;
  };
  Policy policy_for(const pipeline::RequestContext& ctx) const;
  // True when `location` matches a global or the route's exclusion pattern.
  bool is_excluded(const Policy& p, std::string_view location) const;

 private:
  struct Route {
    std::vector<std::string> methods;
    std::string path;
    std::optional<config::StageMode> mode;
    std::array<std::optional<config::StageMode>, config::kNumDetectors> detectors;
    std::vector<std::string> exclude;
  };

  explicit InspectionStage(const config::InspectionConfig& cfg) : cfg_(cfg) {}
  pipeline::Verdict limit_verdict(pipeline::RequestContext& ctx, const Policy& p,
                                  config::LimitAction action, uint16_t status,
                                  std::string_view reason, std::string_view what) const;

  config::InspectionConfig cfg_;
  rules::ExtractLimits limits_;
  net::CidrSet bypass_;
  std::vector<Route> routes_;
};

}  // namespace portcullis::stages
