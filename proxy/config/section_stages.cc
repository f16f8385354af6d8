// stages: per-stage settings of the inspection pipeline. Like the root, `stages` is a table of
// stage name -> parse function, so a new stage is one function and one row.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

void parse_methods(const Entry& e, Reader& r, std::vector<std::string>& out) {
  if (e.value.IsNull() || (e.value.IsSequence() && e.value.size() == 0)) {
    r.error_in(e, "at least one method is required (use mode: off to disable the stage)");
    return;
  }
  out.clear();
  r.for_each_item(e, /*scalar_is_list=*/false, [&](const Entry& item) {
    std::string method;
    if (!r.read(item, "an HTTP method", parse_method, &method)) return;
    if (std::find(out.begin(), out.end(), method) != out.end()) {
      r.error_in(item, "duplicate method '" + method + "'");
      return;
    }
    out.push_back(std::move(method));
  });
  r.mark_set(e);
}

void parse_request_limits(const Entry& e, Reader& r, Config& out) {
  RequestLimitsStageConfig& s = out.stages.request_limits;
  static constexpr std::array<std::string_view, 6> kKeys{
      "mode",        "allowed_methods",        "max_uri_bytes",
      "max_headers", "max_header_value_bytes", "max_body_bytes"};
  r.for_each_key(e, "stages.request_limits", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "mode") {
      r.read(kv, "enforce, monitor or off", parse_stage_mode, &s.mode);
    } else if (key == "allowed_methods") {
      parse_methods(kv, r, s.allowed_methods);
    } else if (key == "max_uri_bytes") {
      r.read_number(kv, true, 1, kMiB, &s.max_uri_bytes);
    } else if (key == "max_headers") {
      r.read_number(kv, false, 1, 1000, &s.max_headers);
    } else if (key == "max_header_value_bytes") {
      r.read_number(kv, true, 1, kMiB, &s.max_header_value_bytes);
    } else if (key == "max_body_bytes") {
      r.read_number(kv, true, 0, 64ull << 30, &s.max_body_bytes);
    }
  });
}

// A header name must be a token (RFC 9110 5.1); a value has no CR, LF or NUL.
bool valid_header_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c))) {
      return false;
    }
  }
  return true;
}

void parse_header_map(const Entry& e, Reader& r, ResponseHeadersStageConfig::HeaderList& out) {
  if (!e.value.IsMap()) {
    r.error_in(e, "expected a map of header name: value");
    return;
  }
  out.clear();
  for (auto it = e.value.begin(); it != e.value.end(); ++it) {
    std::string name = it->first.Scalar();
    std::string value = it->second.IsNull() ? "" : it->second.Scalar();
    if (!valid_header_name(name)) {
      r.error_in(e, "invalid header name '" + name + "'");
      continue;
    }
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      r.error_in(e, "header '" + name + "': value must not contain CR, LF or NUL");
      continue;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
}

void parse_response_headers(const Entry& e, Reader& r, Config& out) {
  ResponseHeadersStageConfig& s = out.stages.response_headers;
  static constexpr std::array<std::string_view, 6> kKeys{"mode",   "headers",          "override",
                                                         "remove", "replace_5xx_body", "routes"};
  r.for_each_key(e, "stages.response_headers", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "mode") {
      r.read(kv, "enforce, monitor or off", parse_stage_mode, &s.mode);
    } else if (key == "headers") {
      parse_header_map(kv, r, s.headers);
    } else if (key == "override") {
      r.read(kv, "true or false", parse_bool, &s.override_origin);
    } else if (key == "remove") {
      s.remove.clear();
      r.for_each_item(kv, /*scalar_is_list=*/true, [&](const Entry& item) {
        auto name = r.scalar(item, "a header name");
        if (!name) return;
        if (!valid_header_name(*name)) {
          r.error_in(item, "invalid header name '" + *name + "'");
          return;
        }
        std::string lower = *name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        s.remove.push_back(std::move(lower));
      });
    } else if (key == "replace_5xx_body") {
      r.read(kv, "true or false", parse_bool, &s.replace_5xx_body);
    } else if (key == "routes") {
      s.routes.clear();
      r.for_each_item(kv, /*scalar_is_list=*/false, [&](const Entry& item) {
        ResponseHeadersStageConfig::Route route;
        static constexpr std::array<std::string_view, 3> kRouteKeys{"path", "headers",
                                                                    "replace_5xx_body"};
        r.for_each_key(item, "response_headers.routes", kRouteKeys,
                       [&](std::string_view k, const Entry& v) {
                         if (k == "path") {
                           if (auto p = r.scalar(v, "a path glob")) route.path = *p;
                         } else if (k == "headers") {
                           parse_header_map(v, r, route.headers);
                         } else if (k == "replace_5xx_body") {
                           bool b = false;
                           if (r.read(v, "true or false", parse_bool, &b))
                             route.replace_5xx_body = b;
                         }
                       });
        if (route.path.empty() || route.path[0] != '/') {
          r.error_in(item, "a route needs a 'path' starting with '/'");
          return;
        }
        s.routes.push_back(std::move(route));
      });
    }
  });
}

struct Stage {
  std::string_view name;
  SectionParser parse;
};
constexpr std::array<Stage, 2> kStages{
    {{"request_limits", parse_request_limits}, {"response_headers", parse_response_headers}}};

// A stage limit above the global limit can never trigger (the HTTP parser rejects first), which
// almost always means the operator expects a protection that is not there: an error when set
// explicitly, otherwise the default silently follows the lower global limit.
template <typename T>
void fit_within(Reader& r, std::string_view stage_path, T& stage_value,
                std::string_view global_path, T global_value) {
  if (stage_value <= global_value) return;
  if (r.set_at(stage_path) == nullptr) {
    stage_value = global_value;
    return;
  }
  r.error_for(stage_path, std::to_string(stage_value) + " is larger than " +
                              std::string(global_path) + " (" + std::to_string(global_value) +
                              "), so it could never trigger");
}

}  // namespace

void parse_stages_section(const Entry& e, Reader& r, Config& out) {
  std::vector<std::string_view> names;
  for (const Stage& s : kStages) names.push_back(s.name);
  r.for_each_key(e, "stages", names, [&](std::string_view key, const Entry& kv) {
    for (const Stage& s : kStages) {
      if (s.name == key) s.parse(kv, r, out);
    }
  });
}

void check_stages(Reader& r, Config& c) {
  RequestLimitsStageConfig& s = c.stages.request_limits;
  const Limits& g = c.limits;
  fit_within(r, "stages.request_limits.max_uri_bytes", s.max_uri_bytes, "limits.max_target_bytes",
             g.max_target_bytes);
  fit_within(r, "stages.request_limits.max_headers", s.max_headers, "limits.max_headers",
             g.max_headers);
  fit_within(r, "stages.request_limits.max_header_value_bytes", s.max_header_value_bytes,
             "limits.max_head_bytes", g.max_head_bytes);
  fit_within(r, "stages.request_limits.max_body_bytes", s.max_body_bytes, "limits.max_body_bytes",
             g.max_body_bytes);
}

}  // namespace portcullis::config
