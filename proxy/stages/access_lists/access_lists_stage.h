// AccessListsStage: who may talk to the origin at all, decided before rate limits and inspection.
//   allow (IP/CIDR)    -> the request passes this stage; with bypass_rate_limit /
//                         bypass_inspection it also skips those (ctx flags). The allow list wins
//                         over every block list (an operator's own monitoring must never be
//                         locked out by a Tor exit list that happens to contain it).
//   block (IP/CIDR)    -> refused, reason "ip_blocklisted"
//   user-agent pattern -> refused, reason "user_agent_blocked"
//   blocked user id    -> refused, reason "user_blocked" (id from rate_limit.user: header or
//                         JWT claim, signature not verified)
// The client address is ctx.client_ip (resolved by origin_lock from CF-Connecting-IP when that is
// configured), never a header read here.
// Flat cost for big lists: CidrSet is a binary search over merged ranges (100,000 Tor/abuse
// entries: ~17 probes, <= 32 bytes per entry); user ids are kept as sorted 64-bit hashes (8 bytes
// each, binary search). Files are read when the stage is built: at start and on every SIGHUP.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/pipeline/stage.h"
#include "proxy/stages/access_lists/user_agent_matcher.h"
#include "proxy/stages/rate_limit/user_key.h"
#include "rules/net/cidr_set.h"

namespace portcullis::access_lists {

inline constexpr std::string_view kReasonIpBlocked = "ip_blocklisted";
inline constexpr std::string_view kReasonUserAgent = "user_agent_blocked";
inline constexpr std::string_view kReasonUser = "user_blocked";

// Sorted 64-bit hashes of user ids: 8 bytes an entry, O(log n) lookup, no per-entry allocation.
class UserIdSet {
 public:
  static UserIdSet build(std::vector<std::string_view> ids);
  bool contains(std::string_view id) const;
  size_t size() const { return hashes_.size(); }
  size_t memory_bytes() const { return hashes_.capacity() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> hashes_;
};

struct AccessListsSettings {
  net::CidrSet allow;
  net::CidrSet block;
  std::shared_ptr<UserAgentMatcher> user_agents;
  UserIdSet users;
  rate_limit::UserKeySettings user_key;
  bool bypass_rate_limit = true;
  bool bypass_inspection = false;
  uint16_t status = 403;
};

class AccessListsStage final : public pipeline::Stage {
 public:
  explicit AccessListsStage(AccessListsSettings s) : s_(std::move(s)) {}
  std::string_view name() const override { return "access_lists"; }
  pipeline::Verdict on_request_head(pipeline::RequestContext& ctx) const override;
  const AccessListsSettings& settings() const { return s_; }

 private:
  AccessListsSettings s_;
};

// Reads the list files, parses the CIDRs and compiles the patterns. Errors name the file and line
// (or the inline entry). nullptr stage: nothing configured.
Result<std::unique_ptr<AccessListsStage>> build_access_lists(const config::AccessListsConfig& cfg,
                                                             const config::UserKeyConfig& user);

// "1.2.3.4" / "10.0.0.0/8" lines, '#' comments (CidrSet::parse grammar) -> set.
Result<net::CidrSet> load_cidr_file(const std::string& path);
// Non-empty, non-comment lines, surrounding blanks trimmed (patterns, user ids).
Result<std::vector<std::string>> load_lines(const std::string& path);

}  // namespace portcullis::access_lists
