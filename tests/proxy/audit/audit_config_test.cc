#include <gtest/gtest.h>

#include "proxy/config/config.h"

namespace portcullis::config {
namespace {

TEST(AuditConfigSection, ParsesSinksAndRejectsMistakes) {
  auto c = load_config_string(R"(
audit:
  spool_dir: /tmp/x
  fsync: always
  priorities: { "request_limits.*": P2 }
  sinks:
    - { name: s, type: syslog_tcp, address: "127.0.0.1:514", min_priority: P1 }
    - { type: slack }
    - { type: http, url: "http://c:8080/_bulk", format: elasticsearch, gzip: true }
)",
                              "t.yaml", no_env());
  ASSERT_TRUE(c.ok()) << c.error().reason;
  const AuditConfig& a = c->audit;
  ASSERT_EQ(a.sinks.size(), 3u);
  EXPECT_EQ(a.fsync, AuditFsync::kAlways);
  EXPECT_EQ(a.sinks[0].port, 514);
  EXPECT_EQ(a.sinks[0].min_priority, 1);
  EXPECT_EQ(a.sinks[1].url_env, "SLACK_WEBHOOK_URL");
  EXPECT_EQ(a.sinks[1].min_priority, 1);  // alerts default to P0/P1
  EXPECT_EQ(a.sinks[2].format, AuditHttpFormat::kElasticBulk);
  ASSERT_EQ(a.priorities.size(), 1u);
  EXPECT_EQ(a.priorities[0].second, 2);

  EXPECT_FALSE(load_config_string("audit:\n  sinks:\n    - { type: file }\n", "t", no_env()).ok());
  EXPECT_FALSE(load_config_string("audit:\n  sinks:\n    - { type: smoke }\n", "t", no_env()).ok());
  EXPECT_FALSE(load_config_string("audit:\n  queue_capacity: 1000\n", "t", no_env()).ok());
  EXPECT_FALSE(
      load_config_string("audit:\n  sinks:\n    - { type: http, url: ftp://x }\n", "t", no_env())
          .ok());
}

}  // namespace
}  // namespace portcullis::config
