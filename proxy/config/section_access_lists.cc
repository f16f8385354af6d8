// access_lists: IP/CIDR allow and block lists, user-agent block patterns and blocked user ids.
// Only the shape is checked here: CIDRs, files and PCRE2 patterns are parsed and compiled when the
// stage is built (proxy/stages/access_lists, which owns rules/net and PCRE2), which also happens
// on every SIGHUP reload, so an edited list file takes effect (or is refused) then.
#include <array>

#include "proxy/config/access_lists_config.h"
#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

Result<std::string> parse_nonempty(std::string_view text) {
  if (text.empty()) return make_error("must not be empty");
  if (text.size() > 4096) return make_error("longer than 4096 characters");
  return std::string(text);
}

Result<uint16_t> parse_refusal_status(std::string_view text) {
  if (text == "403") return uint16_t{403};
  if (text == "404") return uint16_t{404};
  return make_error("expected 403 or 404; got '" + std::string(text.substr(0, 64)) + "'");
}

void parse_list(const Entry& e, Reader& r, std::string_view what, std::vector<std::string>& out) {
  out.clear();
  if (e.value.IsNull()) return;
  r.for_each_item(e, /*scalar_is_list=*/true, [&](const Entry& item) {
    std::string v;
    if (r.read(item, what, parse_nonempty, &v)) out.push_back(std::move(v));
  });
  r.mark_set(e);
}

}  // namespace

void parse_access_lists_section(const Entry& e, Reader& r, Config& out) {
  AccessListsConfig& c = out.access_lists;
  static constexpr std::array<std::string_view, 12> kKeys{"mode",
                                                          "allow",
                                                          "allow_files",
                                                          "block",
                                                          "block_files",
                                                          "user_agent_block",
                                                          "user_agent_block_files",
                                                          "blocked_users",
                                                          "blocked_users_files",
                                                          "bypass_rate_limit",
                                                          "bypass_inspection",
                                                          "status"};
  r.for_each_key(e, "access_lists", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "mode") {
      r.read(kv, "enforce, monitor or off", parse_stage_mode, &c.mode);
    } else if (key == "allow") {
      parse_list(kv, r, "a CIDR", c.allow);
    } else if (key == "allow_files") {
      parse_list(kv, r, "a file path", c.allow_files);
    } else if (key == "block") {
      parse_list(kv, r, "a CIDR", c.block);
    } else if (key == "block_files") {
      parse_list(kv, r, "a file path", c.block_files);
    } else if (key == "user_agent_block") {
      parse_list(kv, r, "a PCRE2 pattern", c.user_agent_block);
    } else if (key == "user_agent_block_files") {
      parse_list(kv, r, "a file path", c.user_agent_block_files);
    } else if (key == "blocked_users") {
      parse_list(kv, r, "a user id", c.blocked_users);
    } else if (key == "blocked_users_files") {
      parse_list(kv, r, "a file path", c.blocked_users_files);
    } else if (key == "bypass_rate_limit") {
      r.read(kv, "true or false", parse_bool, &c.allow_bypass_rate_limit);
    } else if (key == "bypass_inspection") {
      r.read(kv, "true or false", parse_bool, &c.allow_bypass_inspection);
    } else if (key == "status") {
      r.read(kv, "403 or 404", parse_refusal_status, &c.status);
    }
  });
}

}  // namespace portcullis::config
