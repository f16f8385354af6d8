#include "proxy/pipeline/request_limits_stage.h"

namespace portcullis::pipeline {

RequestLimitsStage::RequestLimitsStage(const config::RequestLimitsStageConfig& cfg)
    : methods_(cfg.allowed_methods),
      max_uri_bytes_(cfg.max_uri_bytes),
      max_headers_(cfg.max_headers),
      max_header_value_bytes_(cfg.max_header_value_bytes),
      max_body_bytes_(cfg.max_body_bytes) {}

bool RequestLimitsStage::method_allowed(std::string_view method) const {
  // Methods are case-sensitive tokens (RFC 9110 9.1); the list is short, a linear scan wins.
  for (const std::string& m : methods_) {
    if (m == method) return true;
  }
  return false;
}

Verdict RequestLimitsStage::on_request_head(RequestContext& ctx) const {
  const http::RequestHead& h = *ctx.head;
  if (!method_allowed(h.method)) return Verdict::Block(405, "method_not_allowed");
  if (h.target.size() > max_uri_bytes_) return Verdict::Block(414, "uri_too_long");
  if (h.num_headers > max_headers_) return Verdict::Block(431, "too_many_headers");
  for (uint32_t i = 0; i < h.num_headers; ++i) {
    if (h.headers[i].value.size() > max_header_value_bytes_) {
      return Verdict::Block(431, "header_too_large");
    }
  }
  if (h.framing == http::BodyFraming::kContentLength && h.content_length > max_body_bytes_) {
    return Verdict::Block(413, "body_too_large");
  }
  return Verdict::Continue();
}

}  // namespace portcullis::pipeline
