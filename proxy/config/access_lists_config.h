// AccessListsConfig: the `access_lists:` section: IP/CIDR allow and block lists (inline and from
// files, e.g. a Tor exit list), user-agent block patterns (PCRE2) and blocked user ids. Files are
// read and patterns compiled when the stage is built (proxy/stages/access_lists), so a SIGHUP
// reload re-reads them and a bad file refuses the reload. Keys: docs/configuration.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace portcullis::config {

enum class StageMode : uint8_t;  // config.h; value 0 is kEnforce

struct AccessListsConfig {
  StageMode mode{};                      // enforce
  std::vector<std::string> allow;        // CIDRs or addresses
  std::vector<std::string> allow_files;  // one CIDR per line, '#' comments
  std::vector<std::string> block;
  std::vector<std::string> block_files;
  std::vector<std::string> user_agent_block;        // PCRE2 patterns, matched case-insensitively
  std::vector<std::string> user_agent_block_files;  // one pattern per line
  std::vector<std::string> blocked_users;           // user ids (same extraction as rate_limit.user)
  std::vector<std::string> blocked_users_files;
  bool allow_bypass_rate_limit = true;   // allow-listed clients skip rate limits and auto-block
  bool allow_bypass_inspection = false;  // ... and the attack detectors (ctx.bypass_inspection)
  uint16_t status = 403;                 // 403 or 404 for a refused client
  bool operator==(const AccessListsConfig&) const = default;
};

}  // namespace portcullis::config
