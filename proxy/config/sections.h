// The config file is a table of top-level sections, each parsed by one function that owns its
// keys (and rejects unknown ones), followed by a table of cross-section checks. Adding a section
// (origin_lock, inspection, rate_limit, audit, tls) is one parse function in its own file plus one
// row in kSections (sections.cc); no other section changes.
#pragma once

#include <span>
#include <string_view>

#include "proxy/config/config.h"
#include "proxy/config/reader.h"

namespace portcullis::config {

// Parses the value of one top-level key into `out`. Errors go to the reader; `out` may be left
// partly written, which is fine: a Config is only returned when the reader saw no error.
using SectionParser = void (*)(const Entry& section, Reader& reader, Config& out);
// Validates relations between sections after the file and the environment were applied.
using ConfigCheck = void (*)(Reader& reader, Config& config);

struct Section {
  std::string_view name;
  SectionParser parse;
};

std::span<const Section> root_sections();
std::span<const ConfigCheck> config_checks();

// Parses the root mapping through the section table.
void parse_root(const Entry& root, Reader& reader, Config& out);
// Runs every check of config_checks().
void check_config(Reader& reader, Config& config);

// One per section (section_*.cc).
void parse_listen_section(const Entry& e, Reader& r, Config& out);
void parse_workers_section(const Entry& e, Reader& r, Config& out);
void parse_origin_section(const Entry& e, Reader& r, Config& out);
void parse_timeouts_section(const Entry& e, Reader& r, Config& out);
void parse_limits_section(const Entry& e, Reader& r, Config& out);
void parse_admin_section(const Entry& e, Reader& r, Config& out);
void parse_stages_section(const Entry& e, Reader& r, Config& out);
void parse_origin_lock_section(const Entry& e, Reader& r, Config& out);
void parse_audit_section(const Entry& e, Reader& r, Config& out);
void parse_inspection_section(const Entry& e, Reader& r, Config& out);
void parse_access_lists_section(const Entry& e, Reader& r, Config& out);
void parse_rate_limit_section(const Entry& e, Reader& r, Config& out);
void parse_custom_rules_section(const Entry& e, Reader& r, Config& out);
// Environment overrides owned by a section (applied after the file, before the checks).
void apply_inspection_env(const EnvLookup& env, Reader& r, Config& c);  // PORTCULLIS_MODE

// Cross-section checks.
void check_addresses(Reader& r, Config& c);    // listeners distinct, admin not on a listener
void check_limits(Reader& r, Config& c);       // target fits in head
void check_stages(Reader& r, Config& c);       // stage limits within global limits
void check_origin_lock(Reader& r, Config& c);  // some peer can pass the lock

}  // namespace portcullis::config
