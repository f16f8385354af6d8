// Pipeline: the ordered list of stages with their enforce | monitor | off mode. One factory
// (build_pipeline) decides the order; nothing is registered statically.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/pipeline/services.h"
#include "proxy/pipeline/stage.h"
#include "rules/base/result.h"

namespace portcullis::pipeline {

class Pipeline {
 public:
  struct Entry {
    std::unique_ptr<Stage> stage;
    config::StageMode mode;
  };
  explicit Pipeline(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  // Runs on_request_head of each active stage in order. A stage in monitor mode that would block
  // is recorded in ctx (monitored_block) and the request continues. The first enforcing stage
  // that blocks ends the phase; its name and reason are recorded in ctx.
  Verdict on_request_head(RequestContext& ctx) const {
    return on_request_head_from(ctx, 0, nullptr);
  }
  // Runs stages [first, end). When a stage returns kPending, *pending_stage is set to its index
  // and kPending is returned; the caller later calls resume_request_head with that index.
  Verdict on_request_head_from(RequestContext& ctx, size_t first, size_t* pending_stage) const;
  // Applies the late verdict of stage `index` (mode handling as usual), then runs the rest.
  Verdict resume_request_head(RequestContext& ctx, size_t index, Verdict late,
                              size_t* pending_stage) const;
  // The largest wants_body() of the active stages (0: nobody inspects the body).
  uint64_t wants_body(const RequestContext& ctx) const;
  Verdict on_body_chunk(RequestContext& ctx, std::string_view chunk, bool last) const;
  void on_response_head(const RequestContext& ctx, uint16_t status, ResponseEdits& edits) const;
  void on_complete(const RequestContext& ctx) const;

  size_t size() const { return entries_.size(); }
  const Entry& entry(size_t i) const { return entries_[i]; }

 private:
  Verdict apply(RequestContext& ctx, const Entry& e, Verdict v) const;
  std::vector<Entry> entries_;
};

// Builds the pipeline in its fixed phase order from a validated config.
Result<std::unique_ptr<Pipeline>> build_pipeline(const config::Config& cfg,
                                                 const Services& services);

}  // namespace portcullis::pipeline
