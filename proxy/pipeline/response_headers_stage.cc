#include "proxy/pipeline/response_headers_stage.h"

#include "proxy/http/tokens.h"
#include "rules/base/glob.h"

namespace portcullis::pipeline {

ResponseHeadersStage::ResponseHeadersStage(config::ResponseHeadersStageConfig cfg)
    : cfg_(std::move(cfg)) {}

const config::ResponseHeadersStageConfig::Route* ResponseHeadersStage::route_for(
    std::string_view path) const {
  for (const auto& r : cfg_.routes) {
    if (glob_match(r.path, path)) return &r;
  }
  return nullptr;
}

void ResponseHeadersStage::on_response_head(const RequestContext& ctx, uint16_t status,
                                            ResponseEdits& edits) const {
  const auto* route = route_for(ctx.summary.path.view());
  for (const auto& [name, value] : cfg_.headers) {
    std::string_view v = value;
    if (route != nullptr) {
      for (const auto& [rn, rv] : route->headers) {
        if (http::iequals(rn, name)) v = rv;
      }
    }
    if (!v.empty()) edits.add_header(name, v, cfg_.override_origin);
  }
  if (route != nullptr) {
    // Route-only headers (not in the global list).
    for (const auto& [rn, rv] : route->headers) {
      bool global = false;
      for (const auto& [name, value] : cfg_.headers) global = global || http::iequals(rn, name);
      if (!global && !rv.empty()) edits.add_header(rn, rv, cfg_.override_origin);
    }
  }
  for (const std::string& r : cfg_.remove) edits.remove_header(r);
  bool replace = cfg_.replace_5xx_body;
  if (route != nullptr && route->replace_5xx_body.has_value()) replace = *route->replace_5xx_body;
  if (replace && status >= 500 && status < 600) edits.replace_5xx_body = true;
}

}  // namespace portcullis::pipeline
