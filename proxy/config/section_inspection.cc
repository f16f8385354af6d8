// inspection: the injection-detection stage (detectors, extraction bounds, exclusions, routes,
// IP bypass). Everything is validated here so a typo in a detector name, a CIDR or a limit action
// fails at load, never at request time (Coraza: compile and validate in one step).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

// Same order as rules::Detector (rules/detect/finding.h); config does not depend on rules/.
constexpr std::array<std::string_view, kNumDetectors> kDetectorNames{
    "sqli", "shell", "path", "ssrf", "nosql", "proto", "xss", "generic"};

Result<LimitAction> parse_limit_action(std::string_view text) {
  if (text == "block") return LimitAction::kBlock;
  if (text == "inspect-prefix") return LimitAction::kInspectPrefix;
  return make_error("expected block or inspect-prefix, got '" + std::string(text) + "'");
}

// "on" is accepted as a synonym of enforce for detectors (`sqli: on` reads naturally).
Result<StageMode> parse_detector_mode(std::string_view text) {
  if (text == "on") return StageMode::kEnforce;
  return parse_stage_mode(text);
}

// A CIDR ("10.0.0.0/8", "2001:db8::/32") or a bare address; host bits must be zero, as
// rules/net Cidr::parse requires (a set host bit is almost always a typo in the prefix).
Status validate_cidr(std::string_view text) {
  std::string addr(text.substr(0, text.find('/')));
  unsigned char bytes[16] = {};
  int bits = 0;
  if (inet_pton(AF_INET, addr.c_str(), bytes) == 1) {
    bits = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), bytes) == 1) {
    bits = 128;
  } else {
    return make_error("not an IP address or CIDR: '" + std::string(text) + "'");
  }
  int prefix = bits;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    auto p = parse_uint(text.substr(slash + 1));
    if (!p.ok() || *p > static_cast<uint64_t>(bits) || text.size() - slash > 4) {
      return make_error("bad prefix length in '" + std::string(text) + "'");
    }
    prefix = static_cast<int>(*p);
  }
  for (int b = prefix; b < bits; ++b) {
    if (bytes[b / 8] & (0x80 >> (b % 8))) {
      return make_error("host bits set in '" + std::string(text) + "'");
    }
  }
  return Status::Ok();
}

void parse_string_list(const Entry& e, Reader& r, std::string_view what, bool lowercase,
                       std::vector<std::string>& out) {
  out.clear();
  r.for_each_item(e, /*scalar_is_list=*/true, [&](const Entry& item) {
    std::optional<std::string> s = r.scalar(item, what);
    if (!s) return;
    if (s->empty()) {
      r.error_in(item, "empty " + std::string(what));
      return;
    }
    if (lowercase) {
      for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out.push_back(std::move(*s));
  });
}

template <typename Set>
void parse_detectors(const Entry& e, Reader& r, std::string_view path, Set&& set) {
  r.for_each_key(e, path, kDetectorNames, [&](std::string_view key, const Entry& kv) {
    for (size_t i = 0; i < kDetectorNames.size(); ++i) {
      if (kDetectorNames[i] != key) continue;
      StageMode m{};
      if (r.read(kv, "on, enforce, monitor or off", parse_detector_mode, &m)) set(i, m);
    }
  });
}

void parse_route(const Entry& e, Reader& r, InspectionRoute& route) {
  static constexpr std::array<std::string_view, 5> kKeys{"methods", "path", "mode", "detectors",
                                                         "exclude"};
  r.for_each_key(e, e.path, kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "methods") {
      route.methods.clear();
      r.for_each_item(kv, /*scalar_is_list=*/true, [&](const Entry& item) {
        std::string m;
        if (r.read(item, "an HTTP method", parse_method, &m)) route.methods.push_back(m);
      });
    } else if (key == "path") {
      std::optional<std::string> p = r.scalar(kv, "a path pattern");
      if (!p) return;
      if (p->empty() || ((*p)[0] != '/' && (*p)[0] != '*')) {
        r.error_in(kv, "a route path starts with '/' or '*'");
        return;
      }
      route.path = *p;
    } else if (key == "mode") {
      StageMode m{};
      if (r.read(kv, "enforce, monitor or off", parse_stage_mode, &m)) route.mode = m;
    } else if (key == "detectors") {
      parse_detectors(kv, r, kv.path, [&](size_t i, StageMode m) { route.detectors[i] = m; });
    } else if (key == "exclude") {
      parse_string_list(kv, r, "a location pattern", false, route.exclude);
    }
  });
}

}  // namespace

void parse_inspection_section(const Entry& e, Reader& r, Config& out) {
  InspectionConfig& c = out.inspection;
  static constexpr std::array<std::string_view, 17> kKeys{"mode",
                                                          "detectors",
                                                          "headers",
                                                          "inspect_path",
                                                          "inspect_cookies",
                                                          "inspect_file_contents",
                                                          "max_inputs",
                                                          "on_max_inputs",
                                                          "max_depth",
                                                          "on_max_depth",
                                                          "max_body_bytes",
                                                          "on_max_body",
                                                          "max_input_bytes",
                                                          "exclude",
                                                          "bypass_ips",
                                                          "routes",
                                                          "enabled"};
  r.for_each_key(e, "inspection", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "mode") {
      r.read(kv, "enforce, monitor or off", parse_stage_mode, &c.mode);
    } else if (key == "enabled") {
      bool on = true;
      if (r.read(kv, "true or false", parse_bool, &on) && !on) c.mode = StageMode::kOff;
    } else if (key == "detectors") {
      parse_detectors(kv, r, "inspection.detectors",
                      [&](size_t i, StageMode m) { c.detectors[i] = m; });
    } else if (key == "headers") {
      parse_string_list(kv, r, "a header name", true, c.headers);
    } else if (key == "inspect_path") {
      r.read(kv, "true or false", parse_bool, &c.inspect_path);
    } else if (key == "inspect_cookies") {
      r.read(kv, "true or false", parse_bool, &c.inspect_cookies);
    } else if (key == "inspect_file_contents") {
      r.read(kv, "true or false", parse_bool, &c.inspect_file_contents);
    } else if (key == "max_inputs") {
      r.read_number(kv, false, 1, 100000, &c.max_inputs);
    } else if (key == "on_max_inputs") {
      r.read(kv, "block or inspect-prefix", parse_limit_action, &c.on_max_inputs);
    } else if (key == "max_depth") {
      r.read_number(kv, false, 1, 1000, &c.max_depth);
    } else if (key == "on_max_depth") {
      r.read(kv, "block or inspect-prefix", parse_limit_action, &c.on_max_depth);
    } else if (key == "max_body_bytes") {
      r.read_number(kv, true, 0, 64 * kMiB, &c.max_body_bytes);
    } else if (key == "on_max_body") {
      r.read(kv, "block or inspect-prefix", parse_limit_action, &c.on_max_body);
    } else if (key == "max_input_bytes") {
      r.read_number(kv, true, 16, 1 * kMiB, &c.max_input_bytes);
    } else if (key == "exclude") {
      parse_string_list(kv, r, "a location pattern", false, c.exclude);
    } else if (key == "bypass_ips") {
      parse_string_list(kv, r, "a CIDR", false, c.bypass_ips);
      for (const std::string& cidr : c.bypass_ips) {
        Status s = validate_cidr(cidr);
        if (!s.ok()) r.error_in(kv, s.error().reason);
      }
    } else if (key == "routes") {
      c.routes.clear();
      r.for_each_item(kv, /*scalar_is_list=*/false, [&](const Entry& item) {
        if (!item.value.IsMap()) {
          r.error_in(item, "a route is a map {methods, path, mode, detectors, exclude}");
          return;
        }
        InspectionRoute route;
        parse_route(item, r, route);
        c.routes.push_back(std::move(route));
      });
    }
  });
}

// PORTCULLIS_MODE=block|detect: the global switch of issue 4 (block = enforce, detect = monitor);
// enforce|monitor|off are accepted too.
void apply_inspection_env(const EnvLookup& env, Reader& r, Config& c) {
  if (!env) return;
  std::optional<std::string> v = env(kEnvMode);
  if (!v) return;
  if (*v == "block") {
    c.inspection.mode = StageMode::kEnforce;
  } else if (*v == "detect") {
    c.inspection.mode = StageMode::kMonitor;
  } else if (auto m = parse_stage_mode(*v); m.ok()) {
    c.inspection.mode = *m;
  } else {
    r.error("environment variable " + std::string(kEnvMode) + "='" + v->substr(0, 64) +
            "': expected block, detect, enforce, monitor or off");
  }
}

}  // namespace portcullis::config
