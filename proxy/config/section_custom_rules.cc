// custom_rules: which rule files to load, the body / input bounds the stage reads within, and the
// PCRE2 limits that keep a rule from burning a worker (ReDoS). Only the shape is checked here:
// the files are parsed and compiled when the stage is built (proxy/stages/custom_rules), which
// also happens on every reload, so an edited rule file takes effect (or is refused) then.
#include <array>

#include "proxy/config/custom_rules_config.h"
#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

Result<std::string> parse_path(std::string_view text) {
  if (text.empty()) return make_error("must not be empty");
  if (text.size() > 4096) return make_error("longer than 4096 characters");
  return std::string(text);
}

}  // namespace

void parse_custom_rules_section(const Entry& e, Reader& r, Config& out) {
  CustomRulesConfig& c = out.custom_rules;
  static constexpr std::array<std::string_view, 9> kKeys{
      "mode",        "files",       "max_body_bytes", "max_inputs",    "max_input_bytes",
      "match_limit", "depth_limit", "heap_limit",     "jit_stack_size"};
  r.for_each_key(e, "custom_rules", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "mode") {
      r.read(kv, "enforce, monitor or off", parse_stage_mode, &c.mode);
    } else if (key == "files") {
      c.files.clear();
      if (kv.value.IsNull()) return;
      r.for_each_item(kv, /*scalar_is_list=*/true, [&](const Entry& item) {
        std::string v;
        if (r.read(item, "a file or directory path", parse_path, &v)) c.files.push_back(v);
      });
      r.mark_set(kv);
    } else if (key == "max_body_bytes") {
      r.read_number(kv, true, 0, 64 * kMiB, &c.max_body_bytes);
    } else if (key == "max_inputs") {
      r.read_number(kv, false, 1, 100000, &c.max_inputs);
    } else if (key == "max_input_bytes") {
      r.read_number(kv, true, 16, 1 * kMiB, &c.max_input_bytes);
    } else if (key == "match_limit") {
      r.read_number(kv, false, 100, 100000000, &c.match_limit);
    } else if (key == "depth_limit") {
      r.read_number(kv, false, 10, 1000000, &c.depth_limit);
    } else if (key == "heap_limit") {
      // A size; PCRE2 counts the heap limit in KiB.
      uint64_t bytes = 0;
      if (r.read_number(kv, true, 64 * 1024, 1024 * kMiB, &bytes)) {
        c.heap_limit_kib = static_cast<uint32_t>(bytes / 1024);
      }
    } else if (key == "jit_stack_size") {
      r.read_number(kv, true, 32 * 1024, 64 * kMiB, &c.jit_stack_bytes);
    }
  });
}

}  // namespace portcullis::config
