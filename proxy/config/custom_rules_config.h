// Config of the `custom_rules` stage (yaml top-level section `custom_rules:`, parsed by
// section_custom_rules.cc, documented in docs/configuration.md "custom_rules"). Plain values only:
// the rule files are read and their patterns compiled when the pipeline is built (at start-up and
// on every reload), so a bad rule fails the load naming file, line and rule id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace portcullis::config {

enum class StageMode : uint8_t;

struct CustomRulesConfig {
  StageMode mode{};  // enforce (value 0) | monitor | off
  // Rule files, or directories whose *.yaml / *.yml files are loaded in name order. Relative paths
  // are relative to the working directory. Empty: the stage is not built.
  std::vector<std::string> files;
  uint64_t max_body_bytes = 128 * 1024;  // body prefix the body rules read; 0: no body rules run
  uint32_t max_inputs = 1024;            // inputs extracted per request phase (rest unchecked)
  uint32_t max_input_bytes = 16 * 1024;  // per input; longer inputs: the prefix is matched
  // PCRE2 bounds per match (ReDoS): a match that hits one is counted and treated as no match.
  uint32_t match_limit = 100000;
  uint32_t depth_limit = 1000;
  uint32_t heap_limit_kib = 1024;
  uint32_t jit_stack_bytes = 256 * 1024;  // per worker thread
  bool operator==(const CustomRulesConfig&) const = default;
};

}  // namespace portcullis::config
