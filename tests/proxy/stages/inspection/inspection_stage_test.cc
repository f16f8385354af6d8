#include "proxy/stages/inspection/inspection_stage.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/http/request_parser.h"

namespace portcullis::stages {
namespace {

using config::InspectionConfig;
using config::StageMode;
using pipeline::Action;
using pipeline::RequestContext;

// A parsed request that owns its bytes.
struct Req {
  explicit Req(std::string raw_in) : raw(std::move(raw_in)) {
    http::ParseLimits limits;
    http::ParseError err;
    status = http::parse_request(raw, limits, headers, 64, head, err);
    ctx.head = &head;
    ctx.client_ip = "203.0.113.7";
  }
  std::string_view body() const { return std::string_view(raw).substr(head.head_bytes); }
  std::string raw;
  http::Header headers[64];
  http::RequestHead head;
  http::ParseStatus status;
  RequestContext ctx;
};

std::unique_ptr<InspectionStage> make(const InspectionConfig& cfg = {}) {
  auto s = InspectionStage::create(cfg);
  EXPECT_TRUE(s.ok());
  return std::move(s).value();
}

std::string post(std::string_view target, std::string_view type, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: a\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(InspectionStage, BlocksQueryInjectionAndRecordsIt) {
  auto stage = make();
  Req r("GET /search?q=hello&id=1%27%20OR%20%271%27=%271 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(r.status, http::ParseStatus::kComplete);
  pipeline::Verdict v = stage->on_request_head(r.ctx);
  EXPECT_EQ(v.action, Action::kBlock);
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(v.reason, "sqli");
  ASSERT_GE(r.ctx.num_detections, 1);
  const pipeline::Detection& d = r.ctx.detections[0];
  EXPECT_EQ(d.location(), "query:id");
  EXPECT_EQ(d.stage, "inspection");
  EXPECT_TRUE(d.blocked);
  EXPECT_EQ(d.excerpt(), "1' OR '1'='1");
}

TEST(InspectionStage, PassesBenignRequest) {
  auto stage = make();
  Req r(
      "GET /books/o-reilly?q=O%27Reilly%27s+book&price=%245 HTTP/1.1\r\nHost: a\r\n"
      "User-Agent: Mozilla/5.0\r\nCookie: sid=abc123; theme=dark\r\n\r\n");
  EXPECT_TRUE(stage->on_request_head(r.ctx).is_continue());
  EXPECT_EQ(r.ctx.total_detections, 0);
}

TEST(InspectionStage, EveryHeadLocation) {
  auto stage = make();
  struct Case {
    std::string request;
    std::string location;
  } cases[] = {
      {"GET /files/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: a\r\n\r\n", "path"},
      {"GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; q=1' UNION SELECT pass FROM users--\r\n\r\n",
       "cookie:q"},
      {"GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: () { :; }; /bin/cat /etc/passwd\r\n\r\n",
       "header:user-agent"},
      {"GET /?user[$ne]=1 HTTP/1.1\r\nHost: a\r\n\r\n", "query:user[$ne]"},
  };
  for (const Case& c : cases) {
    Req r(c.request);
    ASSERT_EQ(r.status, http::ParseStatus::kComplete) << c.request;
    EXPECT_EQ(stage->on_request_head(r.ctx).action, Action::kBlock) << c.request;
    ASSERT_GE(r.ctx.num_detections, 1) << c.request;
    EXPECT_EQ(r.ctx.detections[0].location(), c.location);
  }
}

TEST(InspectionStage, BodyInspection) {
  auto stage = make();
  struct Case {
    std::string type, body, location;
  } cases[] = {
      {"application/x-www-form-urlencoded", "name=bob&cmd=%3Bcat+%2Fetc%2Fpasswd", "body.form:cmd"},
      {"application/json", R"({"user":{"name":"x' OR 1=1--"}})", "body.json:user.name"},
      {"application/json", R"({"user":{"$ne":null}})", "body.json:user.$ne"},
      {"multipart/form-data; boundary=B",
       "--B\r\nContent-Disposition: form-data; "
       "name=\"u\"\r\n\r\nhttp://127.0.0.1:6379/\r\n--B--\r\n",
       "body.multipart:u"},
  };
  for (const Case& c : cases) {
    Req r(post("/submit", c.type, c.body));
    ASSERT_EQ(r.status, http::ParseStatus::kComplete);
    EXPECT_TRUE(stage->on_request_head(r.ctx).is_continue());
    EXPECT_EQ(stage->wants_body(r.ctx), c.body.size());
    pipeline::Verdict v = stage->on_body_chunk(r.ctx, r.body(), true);
    EXPECT_EQ(v.action, Action::kBlock) << c.body;
    ASSERT_GE(r.ctx.num_detections, 1) << c.body;
    EXPECT_EQ(r.ctx.detections[0].location(), c.location);
  }
}

TEST(InspectionStage, WantsBodyOnlyForInspectableTypes) {
  auto stage = make();
  Req text(post("/", "text/plain", "1' OR 1=1--"));
  EXPECT_EQ(stage->wants_body(text.ctx), 0u);
  Req get("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(stage->wants_body(get.ctx), 0u);
  InspectionConfig cfg;
  cfg.max_body_bytes = 8;
  auto small = make(cfg);
  Req big(post("/", "application/json", R"({"a":"bbbbbbbbbbbbbbbbbb"})"));
  EXPECT_EQ(small->wants_body(big.ctx), 8u);
}

TEST(InspectionStage, LimitActions) {
  InspectionConfig cfg;
  cfg.max_depth = 2;
  auto stage = make(cfg);
  Req deep(post("/", "application/json", R"({"a":{"b":{"c":"x"}}})"));
  pipeline::Verdict v = stage->on_body_chunk(deep.ctx, deep.body(), true);
  EXPECT_EQ(v.action, Action::kBlock);
  EXPECT_EQ(v.reason, "inspection_json_too_deep");

  cfg.on_max_depth = config::LimitAction::kInspectPrefix;
  auto lenient = make(cfg);
  Req deep2(post("/", "application/json", R"({"a":{"b":{"c":"x"}}})"));
  EXPECT_TRUE(lenient->on_body_chunk(deep2.ctx, deep2.body(), true).is_continue());

  // A body prefix (last == false): inspect-prefix by default, block when configured.
  Req big(post("/", "application/x-www-form-urlencoded", "a=1&b=2"));
  EXPECT_TRUE(make()->on_body_chunk(big.ctx, big.body().substr(0, 3), false).is_continue());
  InspectionConfig strict;
  strict.on_max_body = config::LimitAction::kBlock;
  Req big2(post("/", "application/x-www-form-urlencoded", "a=1&b=2"));
  pipeline::Verdict v2 = make(strict)->on_body_chunk(big2.ctx, big2.body().substr(0, 3), false);
  EXPECT_EQ(v2.status, 413);

  InspectionConfig few;
  few.max_inputs = 4;
  Req many("GET /?a=1&b=2&c=3&d=4 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(make(few)->on_request_head(many.ctx).reason, "inspection_too_many_inputs");
}

TEST(InspectionStage, RouteOverridesExclusionsAndBypass) {
  InspectionConfig cfg;
  config::InspectionRoute monitor_route;
  monitor_route.methods = {"GET"};
  monitor_route.path = "/legacy/*";
  monitor_route.detectors[static_cast<size_t>(rules::Detector::kSqli)] = StageMode::kMonitor;
  config::InspectionRoute off_route;
  off_route.path = "/internal/*";
  off_route.mode = StageMode::kOff;
  cfg.routes = {monitor_route, off_route};
  cfg.exclude = {"query:comment", "body.json:post.*"};
  cfg.bypass_ips = {"10.0.0.0/8"};
  auto stage = make(cfg);
  const std::string attack = "1%27%20OR%20%271%27=%271";

  Req monitored("GET /legacy/x?id=" + attack + " HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(stage->on_request_head(monitored.ctx).is_continue());
  ASSERT_EQ(monitored.ctx.num_detections, 1);
  EXPECT_FALSE(monitored.ctx.detections[0].blocked);
  EXPECT_TRUE(monitored.ctx.monitored_block);

  Req post_legacy(post("/legacy/x?id=" + attack, "text/plain", ""));
  EXPECT_EQ(stage->on_request_head(post_legacy.ctx).action, Action::kBlock);  // GET only

  Req off("GET /internal/x?id=" + attack + " HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(stage->on_request_head(off.ctx).is_continue());
  EXPECT_EQ(off.ctx.total_detections, 0);

  Req excluded("GET /?comment=" + attack + " HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(stage->on_request_head(excluded.ctx).is_continue());
  Req not_excluded("GET /?commentary=" + attack + " HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_FALSE(stage->on_request_head(not_excluded.ctx).is_continue());
  Req json_excluded(post("/", "application/json", R"({"post":{"body":"1' OR '1'='1"}})"));
  EXPECT_TRUE(stage->on_body_chunk(json_excluded.ctx, json_excluded.body(), true).is_continue());

  Req bypassed("GET /?id=" + attack + " HTTP/1.1\r\nHost: a\r\n\r\n");
  bypassed.ctx.client_ip = "10.1.2.3";
  EXPECT_TRUE(stage->on_request_head(bypassed.ctx).is_continue());
}

TEST(InspectionStage, MonitorModeRecordsNotBlocked) {
  InspectionConfig cfg;
  cfg.mode = StageMode::kMonitor;
  auto stage = make(cfg);
  Req r("GET /?id=1%27%20OR%20%271%27=%271 HTTP/1.1\r\nHost: a\r\n\r\n");
  // The stage still answers Block: the pipeline, seeing the stage in monitor mode, records it.
  EXPECT_EQ(stage->on_request_head(r.ctx).action, Action::kBlock);
  ASSERT_EQ(r.ctx.num_detections, 1);
  EXPECT_FALSE(r.ctx.detections[0].blocked);
}

TEST(InspectionStage, DetectorOff) {
  InspectionConfig cfg;
  cfg.detectors[static_cast<size_t>(rules::Detector::kSqli)] = StageMode::kOff;
  auto stage = make(cfg);
  Req r("GET /?id=1%27%20OR%20%271%27=%271 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(stage->on_request_head(r.ctx).is_continue());
}

}  // namespace
}  // namespace portcullis::stages
