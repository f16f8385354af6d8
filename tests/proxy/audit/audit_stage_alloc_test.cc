// The request-path part of auditing (AuditStage::build_event: action, classification, excerpt
// redaction) allocates nothing, even when a finding's excerpt carries secrets to redact.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>

#include "proxy/audit/audit_stage.h"
#include "proxy/audit/auditor.h"

namespace {
// Only the calling thread counts: the Auditor's own threads (writer, sinks) start and allocate in
// the background, and the claim is about the request path, i.e. the thread that builds events.
thread_local bool g_counting = false;
std::atomic<uint64_t> g_allocs{0};
}  // namespace

// Replaced for this whole test binary: forwards to malloc, counts while g_counting is set on the
// calling thread.
void* operator new(size_t n) {
  if (g_counting) g_allocs.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// Every form of new/delete that could pair with one another is replaced, so memory from any of
// them (e.g. simdjson's nothrow new inside its shared library) goes back through free().
// Otherwise AddressSanitizer reports an alloc-dealloc mismatch (its own new vs our delete).
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  if (g_counting) g_allocs.fetch_add(1);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](size_t n) {
  if (g_counting) g_allocs.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  if (g_counting) g_allocs.fetch_add(1);
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

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
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < 100; ++i) (void)stage.build_event(ctx, ev);
  g_counting = false;
  EXPECT_EQ(g_allocs.load(), 0u);

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
