// AuditStage: the last stage of the pipeline. It blocks nothing; on_complete turns the decisions
// recorded in the RequestContext into at most one audit Event and hands it to the Auditor:
//   - a block by an enforcing stage           -> alert, mode block, event.type denied
//   - a would-be block of a monitoring stage   -> alert, mode monitor
//   - detections without a block (detect-only)-> alert, action "<stage>.detection"
//   - 502/504 answered by the proxy            -> event "proxy.upstream_error" (upstream_errors)
//   - every other request                      -> access event "http.request" (P4) when
//                                                 access_events is on (sampled by access_sample)
#pragma once

#include <atomic>

#include "proxy/audit/auditor.h"
#include "proxy/pipeline/stage.h"

namespace portcullis::audit {

class AuditStage : public pipeline::Stage {
 public:
  explicit AuditStage(Auditor& auditor) : auditor_(auditor) {}
  std::string_view name() const override { return "audit"; }
  // Copies method/path/UA/CF-Ray/traceparent if the connection did not already.
  pipeline::Verdict on_request_head(pipeline::RequestContext& ctx) const override;
  void on_complete(const pipeline::RequestContext& ctx) const override;

  // Fills `ev` for ctx; false when the request produces no event under the config. (Exposed for
  // tests; the wall clock of the request start is passed in for determinism.)
  bool build_event(const pipeline::RequestContext& ctx, Event& ev) const;

 private:
  Auditor& auditor_;
  mutable std::atomic<uint64_t> sample_counter_{0};
};

}  // namespace portcullis::audit
