// The custom_rules stage on parsed requests: head and body inputs, findings, block / monitor /
// allow, the body deferral, bypass, and loading errors.
#include "proxy/stages/custom_rules/custom_rules_stage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "proxy/http/request_parser.h"
#include "rules/custom/rule_file.h"

namespace portcullis::stages {
namespace {

using config::CustomRulesConfig;
using pipeline::Action;
using pipeline::RequestContext;

struct Req {
  explicit Req(std::string raw_in) : raw(std::move(raw_in)) {
    http::ParseLimits limits;
    http::ParseError err;
    status = http::parse_request(raw, limits, headers, 64, head, err);
    ctx.head = &head;
  }
  std::string_view body() const { return std::string_view(raw).substr(head.head_bytes); }
  std::string raw;
  http::Header headers[64];
  http::RequestHead head;
  http::ParseStatus status;
  RequestContext ctx;
};

constexpr const char* kRules = R"(rules:
  - {id: allow-health, inputs: [path], pattern: '^/healthz$', action: allow, priority: 0}
  - id: git
    inputs: [path]
    transforms: [url_decode, normalize_path, lowercase]
    pattern: '(?:^|/)\.git(?:/|$)'
    action: block
    priority: 10
  - id: union-in-headers
    inputs: [headers]
    transforms: [url_decode, lowercase, compress_whitespace]
    pattern: 'union select'
    action: monitor
    priority: 20
  - {id: debug-param, inputs: ["query:debug"], pattern: '^1$', action: block, priority: 30}
  - {id: evil-cookie, inputs: ["cookie:role"], pattern: '^admin$', action: block, priority: 30}
  - {id: json-role, inputs: ["body.json:role"], pattern: '^root$', action: block, priority: 40}
  - id: note-form
    inputs: ["body.form:*"]
    transforms: [url_decode]
    pattern: 'wget '
    action: monitor
    priority: 5
)";

std::unique_ptr<CustomRulesStage> Make(const std::string& yaml = kRules,
                                       CustomRulesConfig cfg = {}) {
  auto specs = rules::custom::parse_rule_file(yaml, "t.yaml");
  EXPECT_TRUE(specs.ok()) << specs.error().reason;
  auto set = rules::custom::RuleSet::build(std::move(specs).value());
  EXPECT_TRUE(set.ok()) << set.error().reason;
  cfg.files = {"t.yaml"};
  return CustomRulesStage::create(cfg, std::move(set).value());
}

std::string Post(std::string_view target, std::string_view type, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: a\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(CustomRulesStage, BlocksWithRuleIdAndRecordsFinding) {
  auto stage = Make();
  EXPECT_EQ(stage->name(), "custom_rules");
  Req r("GET /app/%2Egit/config HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(r.status, http::ParseStatus::kComplete);
  pipeline::Verdict v = stage->on_request_head(r.ctx);
  EXPECT_EQ(v.action, Action::kBlock);
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(v.reason, "git");
  // The reason points into the rule set, not at a temporary.
  const auto& rules = stage->rules();
  ASSERT_EQ(rules.rule(2).id, "git");  // priority order: allow-health, note-form, git...
  EXPECT_EQ(v.reason.data(), rules.rule(2).id.data());
  ASSERT_EQ(r.ctx.num_detections, 1);
  const pipeline::Detection& d = r.ctx.detections[0];
  EXPECT_EQ(d.finding.detector, rules::Detector::kGeneric);
  EXPECT_EQ(d.finding.context, "custom_rule");
  EXPECT_EQ(d.finding.reason, "git");
  EXPECT_EQ(d.finding.fingerprint(), "block");
  EXPECT_EQ(d.stage, "custom_rules");
  EXPECT_TRUE(d.blocked);
  EXPECT_EQ(d.location(), "path");
  EXPECT_EQ(d.excerpt(), "/app/.git/config");
}

TEST(CustomRulesStage, QueryAndCookieLocations) {
  auto stage = Make();
  Req q("GET /x?debug=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(stage->on_request_head(q.ctx).reason, "debug-param");
  Req nq("GET /x?debug=0&other=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(stage->on_request_head(nq.ctx).is_continue());
  Req c("GET /x HTTP/1.1\r\nHost: a\r\nCookie: theme=dark; role=admin\r\n\r\n");
  EXPECT_EQ(stage->on_request_head(c.ctx).reason, "evil-cookie");
  EXPECT_EQ(c.ctx.detections[0].location(), "cookie:role");
}

TEST(CustomRulesStage, MonitorRecordsAnyHeaderAndPasses) {
  auto stage = Make();
  Req r("GET / HTTP/1.1\r\nHost: a\r\nX-Api-Version: 1 UNION%20  SELECT 2\r\n\r\n");
  EXPECT_TRUE(stage->on_request_head(r.ctx).is_continue());
  ASSERT_EQ(r.ctx.num_detections, 1);
  EXPECT_EQ(r.ctx.detections[0].finding.reason, "union-in-headers");
  EXPECT_EQ(r.ctx.detections[0].finding.fingerprint(), "monitor");
  EXPECT_EQ(r.ctx.detections[0].location(), "header:x-api-version");
  EXPECT_FALSE(r.ctx.detections[0].blocked);
  EXPECT_FALSE(r.ctx.monitored_block);
}

TEST(CustomRulesStage, AllowShortCircuitsLaterRulesAndIsNotAFinding) {
  auto stage = Make();
  Req r("GET /healthz?debug=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(stage->on_request_head(r.ctx).is_continue());
  EXPECT_EQ(r.ctx.total_detections, 0);
}

TEST(CustomRulesStage, BodyRulesDeferTheWholeDecisionToTheBody) {
  auto stage = Make();
  // A block rule on the head, but a body follows: the decision comes with the body, where a
  // higher-priority monitor rule on the form is also seen.
  Req r(Post("/x?debug=1", "application/x-www-form-urlencoded", "cmd=wget+http://x/a.sh"));
  EXPECT_TRUE(stage->on_request_head(r.ctx).is_continue());
  EXPECT_EQ(r.ctx.total_detections, 0);
  EXPECT_EQ(stage->wants_body(r.ctx), r.body().size());
  pipeline::Verdict v = stage->on_body_chunk(r.ctx, r.body(), true);
  EXPECT_EQ(v.reason, "debug-param");
  ASSERT_EQ(r.ctx.num_detections, 2);
  EXPECT_EQ(r.ctx.detections[0].finding.reason, "note-form");
  EXPECT_EQ(r.ctx.detections[0].location(), "body.form:cmd");
  EXPECT_EQ(r.ctx.detections[1].finding.reason, "debug-param");

  Req j(Post("/api", "application/json", R"({"name":"x","role":"root"})"));
  EXPECT_TRUE(stage->on_request_head(j.ctx).is_continue());
  EXPECT_EQ(stage->on_body_chunk(j.ctx, j.body(), true).reason, "json-role");
  EXPECT_EQ(j.ctx.detections[0].location(), "body.json:role");
}

TEST(CustomRulesStage, NoBodyWantedWithoutBodyRulesOrBody) {
  auto no_body_rules = Make("rules:\n  - {id: q, inputs: [query], pattern: x, action: block}\n");
  Req r(Post("/x?a=x", "application/json", "{}"));
  EXPECT_EQ(no_body_rules->wants_body(r.ctx), 0u);
  EXPECT_EQ(no_body_rules->on_request_head(r.ctx).reason, "q");  // decided on the head
  auto stage = Make();
  Req get("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(stage->wants_body(get.ctx), 0u);
  Req octets(Post("/x", "application/octet-stream", "abc"));
  EXPECT_EQ(stage->wants_body(octets.ctx), 0u);
  CustomRulesConfig small;
  small.max_body_bytes = 4;
  auto capped = Make(kRules, small);
  Req big(Post("/x", "application/json", R"({"role":"root"})"));
  EXPECT_EQ(capped->wants_body(big.ctx), 4u);
}

TEST(CustomRulesStage, BypassedClientsSkipTheStage) {
  auto stage = Make();
  Req r("GET /.git/HEAD HTTP/1.1\r\nHost: a\r\n\r\n");
  r.ctx.bypass_inspection = true;
  EXPECT_TRUE(stage->on_request_head(r.ctx).is_continue());
}

TEST(CustomRulesStage, MonitorModeRecordsBlockHitsAsNotBlocked) {
  CustomRulesConfig cfg;
  cfg.mode = config::StageMode::kMonitor;
  auto stage = Make(kRules, cfg);
  Req r("GET /.git/HEAD HTTP/1.1\r\nHost: a\r\n\r\n");
  // The stage still returns its verdict; the pipeline turns it into a monitored block.
  EXPECT_EQ(stage->on_request_head(r.ctx).reason, "git");
  EXPECT_FALSE(r.ctx.detections[0].blocked);
}

TEST(CustomRulesStage, CreateFromFilesReportsTheBadRule) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("custom-stage-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "rules:\n  - {id: ok, inputs: [path], pattern: a, action: block}\n"
                         "  - {id: bad, inputs: [path], pattern: 'a{2,1}', action: block}\n";
  CustomRulesConfig cfg;
  cfg.files = {path.string()};
  auto s = CustomRulesStage::create(cfg);
  std::filesystem::remove(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().reason.find("custom_rules: " + path.string() + ":3: rule 'bad': bad pattern"),
            std::string::npos)
      << s.error().reason;
  cfg.files = {std::string(PORTCULLIS_SOURCE_DIR) + "/rules/custom-rules"};
  auto shipped = CustomRulesStage::create(cfg);
  ASSERT_TRUE(shipped.ok()) << shipped.error().reason;
  EXPECT_EQ((*shipped)->rules().size(), 4u);
}

}  // namespace
}  // namespace portcullis::stages
