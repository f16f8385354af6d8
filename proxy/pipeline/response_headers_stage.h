// ResponseHeadersStage: response hardening. Adds security headers the origin did not set
// (Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, Referrer-Policy,
// Permissions-Policy, Content-Security-Policy when configured), removes headers that leak the
// stack (Server, X-Powered-By), and optionally replaces origin 5xx bodies with a neutral page that
// carries the request id, so stack traces never reach clients. Per-route overrides by path glob.
#pragma once

#include "proxy/config/config.h"
#include "proxy/pipeline/stage.h"

namespace portcullis::pipeline {

class ResponseHeadersStage final : public Stage {
 public:
  explicit ResponseHeadersStage(config::ResponseHeadersStageConfig cfg);
  std::string_view name() const override { return "response_headers"; }
  Verdict on_request_head(RequestContext&) const override { return Verdict::Continue(); }
  void on_response_head(const RequestContext& ctx, uint16_t status,
                        ResponseEdits& edits) const override;

 private:
  const config::ResponseHeadersStageConfig::Route* route_for(std::string_view path) const;
  config::ResponseHeadersStageConfig cfg_;
};

}  // namespace portcullis::pipeline
