#include "proxy/stages/access_lists/access_lists_stage.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "rules/ratelimit/hash.h"

namespace portcullis::access_lists {
namespace {

constexpr uint64_t kUserSeed = 0x75736572206964ULL;  // fixed: no attacker-chosen collisions
                                                     // matter here (a hit only refuses)
constexpr size_t kMaxFileBytes = 64u << 20;          // a 100k-entry list is ~2 MiB

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > kMaxFileBytes) return make_error(path + ": larger than 64 MiB");
  return text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

Result<net::CidrSet> build_cidrs(const std::vector<std::string>& inline_entries,
                                 const std::vector<std::string>& files, std::string_view what) {
  std::vector<net::Cidr> cidrs;
  for (const std::string& e : inline_entries) {
    auto c = net::Cidr::parse(e);
    if (!c.ok())
      return make_error("access_lists." + std::string(what) + ": '" + e + "': " + c.error().reason);
    cidrs.push_back(c.value());
  }
  net::CidrSet set = net::CidrSet::build(cidrs);
  for (const std::string& f : files) {
    auto s = load_cidr_file(f);
    if (!s.ok()) return s.error();
    set = net::CidrSet::merge(set, s.value());
  }
  return set;
}

}  // namespace

UserIdSet UserIdSet::build(std::vector<std::string_view> ids) {
  UserIdSet s;
  s.hashes_.reserve(ids.size());
  for (std::string_view id : ids) s.hashes_.push_back(ratelimit::hash64(id, kUserSeed));
  std::sort(s.hashes_.begin(), s.hashes_.end());
  s.hashes_.erase(std::unique(s.hashes_.begin(), s.hashes_.end()), s.hashes_.end());
  s.hashes_.shrink_to_fit();
  return s;
}

bool UserIdSet::contains(std::string_view id) const {
  if (hashes_.empty()) return false;
  return std::binary_search(hashes_.begin(), hashes_.end(), ratelimit::hash64(id, kUserSeed));
}

Result<net::CidrSet> load_cidr_file(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.error();
  return net::CidrSet::parse(text.value(), path);
}

Result<std::vector<std::string>> load_lines(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.error();
  std::vector<std::string> out;
  std::string_view rest = text.value();
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    out.emplace_back(line);
  }
  return out;
}

Result<std::unique_ptr<AccessListsStage>> build_access_lists(const config::AccessListsConfig& cfg,
                                                             const config::UserKeyConfig& user) {
  bool any = !cfg.allow.empty() || !cfg.allow_files.empty() || !cfg.block.empty() ||
             !cfg.block_files.empty() || !cfg.user_agent_block.empty() ||
             !cfg.user_agent_block_files.empty() || !cfg.blocked_users.empty() ||
             !cfg.blocked_users_files.empty();
  if (!any) return std::unique_ptr<AccessListsStage>();
  AccessListsSettings s;
  auto allow = build_cidrs(cfg.allow, cfg.allow_files, "allow");
  if (!allow.ok()) return allow.error();
  s.allow = std::move(allow).value();
  auto block = build_cidrs(cfg.block, cfg.block_files, "block");
  if (!block.ok()) return block.error();
  s.block = std::move(block).value();

  std::vector<std::string> patterns = cfg.user_agent_block;
  for (const std::string& f : cfg.user_agent_block_files) {
    auto lines = load_lines(f);
    if (!lines.ok()) return lines.error();
    patterns.insert(patterns.end(), lines->begin(), lines->end());
  }
  auto ua = UserAgentMatcher::build(patterns);
  if (!ua.ok()) return ua.error();
  s.user_agents = std::move(ua).value();

  std::vector<std::string> users = cfg.blocked_users;
  for (const std::string& f : cfg.blocked_users_files) {
    auto lines = load_lines(f);
    if (!lines.ok()) return lines.error();
    users.insert(users.end(), lines->begin(), lines->end());
  }
  s.users = UserIdSet::build(std::vector<std::string_view>(users.begin(), users.end()));
  s.user_key = rate_limit::UserKeySettings{user.header, user.jwt_header, user.jwt_claim};
  s.bypass_rate_limit = cfg.allow_bypass_rate_limit;
  s.bypass_inspection = cfg.allow_bypass_inspection;
  s.status = cfg.status;
  return std::make_unique<AccessListsStage>(std::move(s));
}

pipeline::Verdict AccessListsStage::on_request_head(pipeline::RequestContext& ctx) const {
  auto ip = net::IpAddress::parse(ctx.client_ip);
  if (ip.ok()) {
    if (!s_.allow.empty() && s_.allow.contains(ip.value())) {
      ctx.bypass_rate_limit = s_.bypass_rate_limit;
      ctx.bypass_inspection = s_.bypass_inspection;
      return pipeline::Verdict::Continue();
    }
    if (!s_.block.empty() && s_.block.contains(ip.value())) {
      return pipeline::Verdict::Block(s_.status, kReasonIpBlocked);
    }
  }
  if (ctx.head == nullptr) return pipeline::Verdict::Continue();
  if (!s_.user_agents->empty()) {
    if (const std::string_view* ua = rate_limit::find_header(*ctx.head, "user-agent")) {
      if (s_.user_agents->matches(*ua))
        return pipeline::Verdict::Block(s_.status, kReasonUserAgent);
    }
  }
  if (s_.users.size() > 0) {
    char buf[rate_limit::kMaxUserId];
    std::string_view id = rate_limit::extract_user(s_.user_key, *ctx.head, buf);
    if (!id.empty() && s_.users.contains(id))
      return pipeline::Verdict::Block(s_.status, kReasonUser);
  }
  return pipeline::Verdict::Continue();
}

}  // namespace portcullis::access_lists
