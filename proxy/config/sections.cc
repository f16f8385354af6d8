#include "proxy/config/sections.h"

#include <array>
#include <vector>

namespace portcullis::config {
namespace {

// Order matters only for the order of error messages; each section is independent.
constexpr std::array<Section, 13> kSections{{
    {"listen", parse_listen_section},
    {"workers", parse_workers_section},
    {"origin", parse_origin_section},
    {"admin", parse_admin_section},
    {"timeouts", parse_timeouts_section},
    {"limits", parse_limits_section},
    {"stages", parse_stages_section},
    {"origin_lock", parse_origin_lock_section},
    {"audit", parse_audit_section},
    {"inspection", parse_inspection_section},
    {"access_lists", parse_access_lists_section},
    {"rate_limit", parse_rate_limit_section},
    {"custom_rules", parse_custom_rules_section},
}};

constexpr std::array<ConfigCheck, 4> kChecks{
    {check_addresses, check_limits, check_stages, check_origin_lock}};

}  // namespace

std::span<const Section> root_sections() { return kSections; }
std::span<const ConfigCheck> config_checks() { return kChecks; }

void parse_root(const Entry& root, Reader& reader, Config& out) {
  std::vector<std::string_view> names;
  names.reserve(kSections.size());
  for (const Section& s : kSections) names.push_back(s.name);
  reader.for_each_key(root, "root", names, [&](std::string_view key, const Entry& e) {
    for (const Section& s : kSections) {
      if (s.name == key) s.parse(e, reader, out);
    }
  });
}

void check_config(Reader& reader, Config& config) {
  for (ConfigCheck check : kChecks) check(reader, config);
}

}  // namespace portcullis::config
