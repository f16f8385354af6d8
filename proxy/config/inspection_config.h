// Config of the `inspection` stage (yaml top-level section `inspection:`, parsed by
// section_inspection.cc, documented in docs/configuration.md "inspection"). Plain values only:
// the stage compiles them (CIDR set, patterns) once when the pipeline is built.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::config {

enum class StageMode : uint8_t;

// What happens when an extraction bound is hit (Coraza: every buffer has a limit and a documented
// action). kBlock answers 403 (413 for the body); kInspectPrefix inspects what fits and lets the
// rest through uninspected.
enum class LimitAction : uint8_t { kBlock, kInspectPrefix };  // yaml: block | inspect-prefix

// Number of detectors (rules::Detector: sqli shell path ssrf nosql proto xss generic).
inline constexpr size_t kNumDetectors = 8;

// Environment override of inspection.mode: block (= enforce) | detect (= monitor).
inline constexpr std::string_view kEnvMode = "PORTCULLIS_MODE";

// A per-route override: requests whose method is in `methods` (empty: any) and whose path matches
// `path` (a glob: '*' matches any run of characters; "/api/*" is a prefix match).
struct InspectionRoute {
  std::vector<std::string> methods;  // uppercase
  std::string path = "*";
  std::optional<StageMode> mode;  // unset: the stage's mode
  // Per detector (index = rules::Detector): unset inherits the global setting.
  std::array<std::optional<StageMode>, kNumDetectors> detectors{};
  std::vector<std::string> exclude;  // location patterns, added to the global ones
  bool operator==(const InspectionRoute&) const = default;
};

struct InspectionConfig {
  StageMode mode{};  // enforce (value 0); PORTCULLIS_MODE=block|detect overrides
  // Per detector (index = rules::Detector): enforce | monitor | off. Default: all enforce.
  std::array<StageMode, kNumDetectors> detectors{};
  // Request headers whose values are inspected (lowercase).
  std::vector<std::string> headers{"user-agent", "referer", "x-forwarded-host"};
  bool inspect_path = true;
  bool inspect_cookies = true;
  bool inspect_file_contents = false;  // multipart parts that carry a filename
  // Bounds. Exceeding max_inputs / max_depth blocks by default (padding a request with 10,000
  // harmless parameters must not buy an uninspected one); a body larger than max_body_bytes has
  // its first max_body_bytes inspected.
  uint32_t max_inputs = 1024;
  LimitAction on_max_inputs = LimitAction::kBlock;
  uint32_t max_depth = 32;
  LimitAction on_max_depth = LimitAction::kBlock;
  uint64_t max_body_bytes = 128 * 1024;
  LimitAction on_max_body = LimitAction::kInspectPrefix;
  uint32_t max_input_bytes = 16 * 1024;  // per value; longer values: the prefix is inspected
  // Location patterns never inspected, e.g. "query:q", "body.json:post.*", "header:referer".
  std::vector<std::string> exclude;
  // Client addresses (CIDRs or bare IPs) that skip inspection entirely.
  std::vector<std::string> bypass_ips;
  std::vector<InspectionRoute> routes;
  bool operator==(const InspectionConfig&) const = default;
};

}  // namespace portcullis::config
