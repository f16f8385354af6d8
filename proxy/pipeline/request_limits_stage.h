// RequestLimitsStage: the first real stage. Method allow-list and per-route caps on the URI,
// header count, header value size and body size, stricter than the parser's hard protocol limits.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/pipeline/stage.h"

namespace portcullis::pipeline {

class RequestLimitsStage final : public Stage {
 public:
  explicit RequestLimitsStage(const config::RequestLimitsStageConfig& cfg);
  std::string_view name() const override { return "request_limits"; }
  Verdict on_request_head(RequestContext& ctx) const override;

 private:
  bool method_allowed(std::string_view method) const;
  std::vector<std::string> methods_;
  uint32_t max_uri_bytes_;
  uint32_t max_headers_;
  uint32_t max_header_value_bytes_;
  uint64_t max_body_bytes_;
};

}  // namespace portcullis::pipeline
