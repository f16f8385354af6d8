// Rule files: YAML text -> RuleSpecs (format in rule.h), and loading the files and directories
// the config names. Load time only (yaml-cpp throws; this layer catches and returns Result).
// Every error names "file:line: rule '<id>': reason" so a bad rule is found at once; unknown keys
// are errors, so a typo ("prority") never silently runs a default.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/base/result.h"
#include "rules/custom/rule.h"

namespace portcullis::rules::custom {

// Parses one rule file's text; `source` is its path in messages. An empty file has no rules.
Result<std::vector<RuleSpec>> parse_rule_file(std::string_view yaml, std::string_view source);

// Loads each path: a file is parsed, a directory contributes its *.yaml / *.yml files in name
// order (not recursive). Files larger than 4 MiB are refused. Rules keep load order, which breaks
// priority ties.
Result<std::vector<RuleSpec>> load_rule_paths(std::span<const std::string> paths);

}  // namespace portcullis::rules::custom
