// Stage: one step of the request pipeline, built once from validated config and const on the data
// path (Envoy filter / HAProxy filter lifecycle). The pipeline calls the phases in order:
//   on_request_head  -> decide on method, target and headers (must not block: no I/O)
//   on_body_chunk    -> only when wants_body(); a chunk at a time, never the whole body
//   on_complete      -> always, also after errors and local responses (logging, audit, metrics)
#pragma once

#include <string_view>

#include "proxy/config/config.h"
#include "proxy/pipeline/request_context.h"
#include "proxy/pipeline/verdict.h"

namespace portcullis::pipeline {

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual Verdict on_request_head(RequestContext& ctx) const = 0;
  virtual bool wants_body(const RequestContext& ctx) const { return false; }
  virtual Verdict on_body_chunk(RequestContext& ctx, std::string_view chunk, bool last) const {
    return Verdict::Continue();
  }
  virtual void on_complete(const RequestContext& ctx) const {}
};

}  // namespace portcullis::pipeline
