#include "proxy/audit/auditor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "proxy/audit/audit_stage.h"
#include "proxy/audit/event_json.h"
#include "tests/proxy/audit/schema_validator.h"

namespace portcullis::audit {
namespace {

namespace fs = std::filesystem;
using testing::SchemaValidator;

Event FullEvent() {
  Event ev;
  ev.id_hi = 0x0123456789abcdefULL;
  ev.id_lo = 42;
  ev.time_us = 1714564800123456LL;
  ev.priority = Priority::kP1;
  ev.mode = Mode::kBlock;
  ev.outcome = Outcome::kFailure;
  ev.category.set("web");
  ev.type.set("denied");
  ev.action.set("inspection.sqli");
  ev.stage.set("inspection");
  ev.detector.set("sqli");
  ev.source_ip.set("203.0.113.9");
  ev.client_ip.set("198.51.100.7");
  ev.request_id.set("req-1");
  ev.method.set("GET");
  ev.path.set("/admin/\x01\xff\"x");
  ev.query.set("id=1' OR '1'='1");
  ev.user_agent.set("sqlmap/1.7");
  ev.ray.set("8a1b2c3d4e5f6789-AMS");
  ev.trace_id.set("4bf92f3577b34da6a3ce929d0e0e4736");
  ev.location.set("query:id");
  ev.fingerprint.set("s&sos");
  ev.reason.set("tautology");
  ev.excerpt.set("1' OR '1'='1\x00\x7f");
  ev.status = 403;
  ev.detections_total = 2;
  return ev;
}

TEST(EventJson, FullEventValidatesAgainstSchema) {
  SchemaValidator v(testing::read_file(testing::schema_path()));
  ASSERT_TRUE(v.loaded());
  std::string out;
  encode_event(FullEvent(), out);
  auto errs = v.validate(out);
  EXPECT_TRUE(errs.empty()) << out << "\n" << (errs.empty() ? "" : errs[0]);
  EXPECT_NE(out.find("\"@timestamp\":\"2024-05-01T12:00:00.123456Z\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"id\":\"0123456789abcdef000000000000002a\""), std::string::npos);
  EXPECT_NE(out.find("\"priority\":\"P1\""), std::string::npos);
  EXPECT_NE(out.find("/admin/\\u0001\\u00ff\\\"x"), std::string::npos) << out;
}

TEST(EventJson, MinimalEventValidatesAndSchemaRejectsBrokenOnes) {
  SchemaValidator v(testing::read_file(testing::schema_path()));
  Event ev;
  ev.action.set("config.reload");
  ev.time_us = 1;
  std::string out;
  encode_event(ev, out);
  EXPECT_TRUE(v.validate(out).empty()) << out;
  // The validator itself must catch violations (it is a test oracle).
  EXPECT_FALSE(v.validate(R"({"@timestamp":"x","ecs":{"version":"1"}})").empty());
  std::string bad = out;
  bad.replace(bad.find("\"P3\""), 4, "\"P9\"");
  EXPECT_FALSE(v.validate(bad).empty());
  bad = out;
  bad.insert(bad.size() - 1, ",\"extra\":1");
  EXPECT_FALSE(v.validate(bad).empty());
}

class AuditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/audit-unit-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  config::AuditConfig FileConfig() {
    config::AuditConfig c;
    c.spool_dir = dir_ + "/spool";
    config::AuditSinkConfig s;
    s.name = "file";
    s.type = config::AuditSinkType::kFile;
    s.path = dir_ + "/events.json";
    s.min_priority = 4;
    c.sinks.push_back(s);
    return c;
  }
  static bool WaitIdle(const Auditor& a, int ms = 5000) {
    for (int i = 0; i < ms / 10; ++i) {
      if (a.idle()) return true;
      usleep(10000);
    }
    return false;
  }
  std::vector<std::string> Lines(const std::string& path) {
    std::ifstream f(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(f, l);) out.push_back(l);
    return out;
  }
  std::string dir_;
};

TEST_F(AuditorTest, EveryEmittedEventReachesTheFileAndValidates) {
  auto a = Auditor::create(FileConfig(), config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  for (int i = 0; i < 1000; ++i) {
    Event ev = FullEvent();
    ev.time_us = 0;
    ev.request_id.set("r" + std::to_string(i));
    ASSERT_TRUE(a.value()->emit(ev));
  }
  ASSERT_TRUE(WaitIdle(*a.value()));
  a.value()->stop();
  auto lines = Lines(dir_ + "/events.json");
  ASSERT_EQ(lines.size(), 1000u);
  SchemaValidator v(testing::read_file(testing::schema_path()));
  std::set<std::string> ids;
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(v.validate(lines[i]).empty()) << lines[i];
    EXPECT_NE(lines[i].find("\"id\":\"r" + std::to_string(i) + "\""), std::string::npos);
    ids.insert(lines[i].substr(lines[i].find("\"event\":{\"id\":\"") + 15, 32));
  }
  EXPECT_EQ(ids.size(), 1000u);  // unique event ids
  EXPECT_EQ(a.value()->sink(0).sent(), 1000u);
  std::string m;
  a.value()->render_metrics(m);
  EXPECT_NE(m.find("portcullis_audit_sink_sent_total{sink=\"file\",type=\"file\"} 1000"),
            std::string::npos)
      << m;
  EXPECT_NE(
      m.find("portcullis_audit_delivery_latency_seconds_count{sink=\"file\",type=\"file\"} 1000"),
      std::string::npos);
}

// Prometheus text format: every sample of a family sits in one group, after its only # TYPE line.
// With two sinks, per-sink blocks used to interleave the families.
TEST_F(AuditorTest, MetricFamiliesAreContiguousWithOneTypeLineEach) {
  config::AuditConfig c = FileConfig();
  config::AuditSinkConfig second = c.sinks[0];
  second.name = "file2";
  second.path = dir_ + "/events2.json";
  c.sinks.push_back(second);
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok()) << a.error().reason;
  std::string m;
  a.value()->render_metrics(m);
  a.value()->stop();
  auto family_of = [](std::string name) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string sfx = suffix;
      if (name.size() > sfx.size() &&
          name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0 &&
          name.find("latency") != std::string::npos) {
        return name.substr(0, name.size() - sfx.size());
      }
    }
    return name;
  };
  std::set<std::string> closed, typed;
  std::string current;
  std::istringstream in(m);
  size_t samples = 0;
  for (std::string line; std::getline(in, line);) {
    std::string family;
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(typed.insert(family).second) << "second # TYPE for " << family << "\n" << m;
    } else {
      family = family_of(line.substr(0, line.find_first_of("{ ")));
      ++samples;
    }
    if (family != current) {
      EXPECT_EQ(closed.count(family), 0u) << family << " is split into two groups\n" << m;
      if (!current.empty()) closed.insert(current);
      current = family;
    }
  }
  EXPECT_GT(samples, 20u);
  EXPECT_NE(m.find("portcullis_audit_sink_sent_total{sink=\"file2\",type=\"file\"} 0"),
            std::string::npos)
      << m;
}

TEST_F(AuditorTest, MinPriorityAndActionFilter) {
  config::AuditConfig c = FileConfig();
  c.sinks[0].min_priority = 2;
  c.sinks[0].actions = {"inspection.*"};
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok());
  Event ev = FullEvent();
  a.value()->emit(ev);  // P1 inspection: kept
  ev.priority = Priority::kP3;
  a.value()->emit(ev);  // P3: below the sink's minimum
  ev.priority = Priority::kP0;
  ev.action.set("origin_lock.x");
  a.value()->emit(ev);  // filtered by action
  ASSERT_TRUE(WaitIdle(*a.value()));
  a.value()->stop();
  EXPECT_EQ(Lines(dir_ + "/events.json").size(), 1u);
}

TEST_F(AuditorTest, FileRotationBySize) {
  config::AuditConfig c = FileConfig();
  c.sinks[0].rotate_bytes = 20000;
  c.sinks[0].rotate_keep = 3;
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok());
  for (int i = 0; i < 100; ++i) a.value()->emit(FullEvent());
  ASSERT_TRUE(WaitIdle(*a.value()));
  a.value()->stop();
  EXPECT_TRUE(fs::exists(dir_ + "/events.json.1"));
  EXPECT_LE(fs::file_size(dir_ + "/events.json"), 20000u);
  EXPECT_LE(fs::file_size(dir_ + "/events.json.1"), 20000u);
  EXPECT_FALSE(fs::exists(dir_ + "/events.json.4"));
}

TEST_F(AuditorTest, DefaultPrioritiesAndOverrides) {
  config::AuditConfig c = FileConfig();
  c.priorities = {{"request_limits.method_not_allowed", 2}};
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok());
  Auditor& au = *a.value();
  EXPECT_EQ(au.classify("origin_lock.valid_secret_untrusted_peer", "/"), Priority::kP0);
  EXPECT_EQ(au.classify("auto_block.triggered", "/"), Priority::kP1);
  EXPECT_EQ(au.classify("inspection.sqli", "/admin/users"), Priority::kP1);
  EXPECT_EQ(au.classify("inspection.sqli", "/shop"), Priority::kP2);
  EXPECT_EQ(au.classify("origin_lock.untrusted_peer", "/"), Priority::kP2);
  EXPECT_EQ(au.classify("rate_limit.login", "/login"), Priority::kP2);
  EXPECT_EQ(au.classify("request_limits.uri_too_long", "/"), Priority::kP3);
  EXPECT_EQ(au.classify("request_limits.method_not_allowed", "/"), Priority::kP2);
  EXPECT_EQ(au.classify("config.reload", ""), Priority::kP3);
  EXPECT_EQ(au.classify("audit.events_dropped", ""), Priority::kP1);
}

TEST_F(AuditorTest, RedactsSecretsInExcerpts) {
  auto a = Auditor::create(FileConfig(), config::no_env());
  ASSERT_TRUE(a.ok());
  a.value()->add_redaction("s3cr3t-origin-token");
  std::string out;
  a.value()->redact("x=1&password=hunter2&y=2", out);
  EXPECT_EQ(out, "x=1&password=[REDACTED]&y=2");
  a.value()->redact("Authorization: Bearer abc.def.ghi", out);
  EXPECT_EQ(out, "Authorization: [REDACTED]");
  a.value()->redact("cookie: a=1; session=xyz", out);
  EXPECT_EQ(out, "cookie: [REDACTED]");
  a.value()->redact("hdr s3cr3t-origin-token end", out);
  EXPECT_EQ(out, "hdr [REDACTED] end");
  a.value()->redact("token bearer qwerty rest", out);
  EXPECT_EQ(out, "token bearer [REDACTED] rest");
  a.value()->redact("union select 1", out);
  EXPECT_EQ(out, "union select 1");
}

TEST_F(AuditorTest, StageBuildsEventsOnlyForDecisionsByDefault) {
  auto a = Auditor::create(FileConfig(), config::no_env());
  ASSERT_TRUE(a.ok());
  AuditStage stage(*a.value());
  pipeline::RequestContext ctx;
  ctx.peer_ip = "203.0.113.9";
  ctx.request_id = "abc";
  ctx.response_status = 200;
  Event ev;
  EXPECT_FALSE(stage.build_event(ctx, ev));  // a plain forwarded request: no event

  http::Header hs[3] = {{"User-Agent", "curl/8"},
                        {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                        {"CF-Ray", "8a1b-AMS"}};
  http::RequestHead head;
  head.method = "TRACE";
  head.target = "/admin?q=1";
  head.headers = hs;
  head.num_headers = 3;
  pipeline::capture_request_summary(head, ctx.summary);
  ctx.blocked_by = "request_limits";
  ctx.block_reason = "method_not_allowed";
  ctx.response_status = 405;
  Event blocked;
  ASSERT_TRUE(stage.build_event(ctx, blocked));
  std::string json;
  encode_event(blocked, json);
  SchemaValidator v(testing::read_file(testing::schema_path()));
  EXPECT_TRUE(v.validate(json).empty()) << json;
  EXPECT_NE(json.find("\"action\":\"request_limits.method_not_allowed\""), std::string::npos);
  EXPECT_NE(json.find("\"mode\":\"block\""), std::string::npos);
  EXPECT_NE(json.find("\"trace\":{\"id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}"),
            std::string::npos);
  EXPECT_NE(json.find("\"cloudflare\":{\"ray\":\"8a1b-AMS\"}"), std::string::npos);
  EXPECT_NE(json.find("\"path\":\"/admin\",\"query\":\"q=1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"method\":\"TRACE\""), std::string::npos);

  // Monitor mode: an alert with mode monitor.
  ctx.monitored_block = true;
  Event mon;
  ASSERT_TRUE(stage.build_event(ctx, mon));
  EXPECT_EQ(mon.mode, Mode::kMonitor);
  // Detection with a credential location: the excerpt is fully redacted.
  pipeline::RequestContext c2;
  auto* d = c2.add_detection();
  d->stage = "inspection";
  d->finding.detector = rules::Detector::kSqli;
  d->set_location("header:authorization");
  d->set_excerpt("Basic dXNlcjpwYXNz' OR 1=1");
  Event det;
  ASSERT_TRUE(stage.build_event(c2, det));
  EXPECT_EQ(det.excerpt.view(), "[REDACTED]");
  EXPECT_EQ(det.action.view(), "inspection.sqli");
  EXPECT_EQ(det.detector.view(), "sqli");
}

}  // namespace
}  // namespace portcullis::audit
