// The request-path part of auditing (AuditStage::build_event: action, classification, excerpt
// redaction) allocates nothing, even when a finding's excerpt carries secrets to redact.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "proxy/audit/audit_stage.h"
#include "proxy/audit/auditor.h"
#include "tests/support/alloc_counter.h"

namespace portcullis::audit {
namespace {

TEST(AuditStageAllocation, BuildingAnEventWithARedactedExcerptDoesNotAllocate) {
  char tmpl[] = "/tmp/audit-alloc-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  config::AuditConfig c;
  c.spool_dir = dir + "/spool";
  config::AuditSinkConfig s;
  s.name = "file";
  s.type = config::AuditSinkType::kFile;
  s.path = dir + "/events.json";
  c.sinks.push_back(s);
  c.excerpt_bytes = 40;
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok());
  a.value()->add_redaction("origin-secret-0123456789");
  AuditStage stage(*a.value());

  pipeline::RequestContext ctx;
  ctx.peer_ip = "203.0.113.9";
  ctx.request_id = "req-0123456789abcdef0123456789";
  ctx.response_status = 403;
  ctx.blocked_by = "inspection";
  ctx.block_reason = "sqli_tautology_in_query_parameter";
  auto* d = ctx.add_detection();
  d->stage = "inspection";
  d->finding.detector = rules::Detector::kSqli;
  d->set_location("query:id");
  d->set_excerpt("password=hunter2&x=origin-secret-0123456789&id=1' OR '1'='1' -- and much more");

  Event ev;
  ASSERT_TRUE(stage.build_event(ctx, ev));  // warm-up (first-use statics)
  // Only the calling thread counts: the Auditor's own threads (writer, sinks) allocate in the
  // background; the claim is about the thread that builds events (the request path).
  const uint64_t before = portcullis::testing::thread_allocation_count();
  for (int i = 0; i < 100; ++i) (void)stage.build_event(ctx, ev);
  EXPECT_EQ(portcullis::testing::thread_allocation_count() - before, 0u);

  EXPECT_EQ(ev.action.view(), "inspection.sqli_tautology_in_query_parameter");
  EXPECT_EQ(ev.excerpt.view(), "password=[REDACTED]&x=[REDACTED]&id=1' O");
  EXPECT_TRUE(ev.excerpt.truncated);
  a.value()->stop();
  std::filesystem::remove_all(dir);
}

TEST(AuditRedaction, CappedOutputNeverEndsInsideASecret) {
  config::AuditConfig c;
  char tmpl[] = "/tmp/audit-alloc-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  c.spool_dir = dir + "/spool";
  auto a = Auditor::create(c, config::no_env());
  ASSERT_TRUE(a.ok());
  a.value()->add_redaction("TOPSECRET");
  const std::string in = "abc TOPSECRET def token=xyz";
  std::string full;
  a.value()->redact(in, full);
  EXPECT_EQ(full, "abc [REDACTED] def token=[REDACTED]");
  for (size_t cap = 0; cap <= full.size() + 2; ++cap) {
    char buf[64];
    bool cut = false;
    size_t n = a.value()->redact(in, buf, cap, &cut);
    std::string_view got(buf, n);
    EXPECT_EQ(got, std::string_view(full).substr(0, cap)) << cap;  // a prefix of the full text
    EXPECT_EQ(cut, cap < full.size()) << cap;
    EXPECT_EQ(got.find("TOP"), std::string_view::npos) << cap;
    EXPECT_EQ(got.find("xyz"), std::string_view::npos) << cap;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace portcullis::audit
