// A custom rule as written in a rule file (rules/custom-rules/*.yaml and files the config names),
// before compilation. rule_file.h parses these; RuleSet::build compiles them. Format (one file):
//
//   rules:
//     - id: git-metadata            # [A-Za-z0-9_.-]{1,64}, unique across all loaded files
//       description: "..."          # optional
//       inputs: [path]              # location globs, see below
//       transforms: [url_decode, normalize_path, lowercase]   # optional, applied in order
//       pattern: '(?:^|/)\.git(?:/|$)'                        # PCRE2, byte mode, compiled w/ JIT
//       action: block               # block | monitor | allow
//       priority: 10                # lower runs first; default 100; ties keep file order
//
// Inputs are the extractor's locations (rules/inputs/input.h) matched with '*' globs:
// "query:*", "query:id", "path" (the whole path), "path:*" (its segments), "cookie:sid",
// "header:user-agent", "header:*", "body.form:*", "body.json:user.*", "body.multipart:*",
// "body" (a JSON body that did not parse), "*". Shorthands: query = query:*, path = path,
// headers = header:*, cookies = cookie:*, body = body*.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/custom/transform.h"

namespace portcullis::rules::custom {

enum class RuleAction : uint8_t {
  kBlock,    // 403 "<rule id>"; ends custom-rule evaluation
  kMonitor,  // recorded as a finding (audit stream), the request goes on; evaluation continues
  kAllow,    // ends custom-rule evaluation: no later-priority custom rule applies to the request
};
std::string_view action_name(RuleAction a);

struct RuleSpec {
  std::string id;
  std::string description;
  std::vector<std::string> inputs;  // after shorthand expansion
  std::vector<Transform> transforms;
  std::string pattern;
  RuleAction action = RuleAction::kBlock;
  int32_t priority = 100;
  // Where it was written, for load errors ("file:line: rule 'id': ...").
  std::string file;
  uint32_t line = 0;
};

}  // namespace portcullis::rules::custom
