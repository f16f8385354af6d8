// Stage: one step of the request pipeline, built once from validated config and const on the data
// path (Envoy filter / HAProxy filter lifecycle). The pipeline calls the phases in order:
//   on_request_head  -> decide on method, target and headers (must not block: no I/O)
//   on_body_chunk    -> only when wants_body() > 0: the connection holds the first wants_body()
//                       bytes of the body (bounded) and calls this once with them before anything
//                       is forwarded; last == true when that is the whole body, false when it is
//                       a prefix (the rest then streams through uninspected). ctx.head stays valid.
//   on_complete      -> always, also after errors and local responses (logging, audit, metrics)
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/config/config.h"
#include "proxy/pipeline/request_context.h"
#include "proxy/pipeline/response_edits.h"
#include "proxy/pipeline/verdict.h"

namespace portcullis::pipeline {

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual Verdict on_request_head(RequestContext& ctx) const = 0;
  // How many body bytes this stage wants to see before the request is forwarded (0: none).
  virtual uint64_t wants_body(const RequestContext& ctx) const { return 0; }
  virtual Verdict on_body_chunk(RequestContext& ctx, std::string_view chunk, bool last) const {
    return Verdict::Continue();
  }
  // Response phase: request edits to the origin's response head (never blocks).
  virtual void on_response_head(const RequestContext& ctx, uint16_t status,
                                ResponseEdits& edits) const {}
  virtual void on_complete(const RequestContext& ctx) const {}
};

}  // namespace portcullis::pipeline
