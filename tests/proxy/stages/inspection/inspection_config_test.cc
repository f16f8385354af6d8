// The `inspection:` config section (proxy/config/section_inspection.cc) and PORTCULLIS_MODE.
#include <gtest/gtest.h>

#include <map>

#include "proxy/config/config.h"

namespace portcullis::config {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(InspectionConfig, DefaultsAreAllDetectorsEnforced) {
  auto c = load_config_string("listen: \"127.0.0.1:0\"\n", "t", no_env());
  ASSERT_TRUE(c.ok()) << c.error().reason;
  EXPECT_EQ(c->inspection.mode, StageMode::kEnforce);
  for (StageMode m : c->inspection.detectors) EXPECT_EQ(m, StageMode::kEnforce);
  EXPECT_EQ(c->inspection.on_max_depth, LimitAction::kBlock);
  EXPECT_EQ(c->inspection.on_max_body, LimitAction::kInspectPrefix);
}

TEST(InspectionConfig, ParsesEveryKey) {
  auto c = load_config_string(R"(
inspection:
  mode: monitor
  detectors: {sqli: off, xss: monitor, shell: on}
  headers: [User-Agent, X-Custom]
  inspect_cookies: false
  inspect_file_contents: true
  max_inputs: 50
  on_max_inputs: inspect-prefix
  max_depth: 8
  max_body_bytes: 64k
  on_max_body: block
  exclude: ["query:q", "body.json:post.*"]
  bypass_ips: [10.0.0.0/8, "2001:db8::/32", 192.0.2.1]
  routes:
    - {methods: [get, POST], path: "/legacy/*", detectors: {sqli: monitor}, exclude: ["cookie:*"]}
    - {path: "/health", mode: off}
)",
                              "t", no_env());
  ASSERT_TRUE(c.ok()) << c.error().reason;
  const InspectionConfig& i = c->inspection;
  EXPECT_EQ(i.mode, StageMode::kMonitor);
  EXPECT_EQ(i.detectors[0], StageMode::kOff);
  EXPECT_EQ(i.detectors[6], StageMode::kMonitor);
  EXPECT_EQ(i.headers, (std::vector<std::string>{"user-agent", "x-custom"}));
  EXPECT_FALSE(i.inspect_cookies);
  EXPECT_TRUE(i.inspect_file_contents);
  EXPECT_EQ(i.max_inputs, 50u);
  EXPECT_EQ(i.on_max_inputs, LimitAction::kInspectPrefix);
  EXPECT_EQ(i.max_body_bytes, 65536u);
  EXPECT_EQ(i.on_max_body, LimitAction::kBlock);
  ASSERT_EQ(i.routes.size(), 2u);
  EXPECT_EQ(i.routes[0].methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(i.routes[0].detectors[0], StageMode::kMonitor);
  EXPECT_FALSE(i.routes[0].detectors[1].has_value());
  EXPECT_EQ(i.routes[1].mode, StageMode::kOff);
}

TEST(InspectionConfig, ErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* needle;
  } cases[] = {
      {"inspection: {detectors: {sqlx: off}}", "sqlx"},
      {"inspection: {on_max_depth: drop}", "block or inspect-prefix"},
      {"inspection: {bypass_ips: [10.0.0.1/8]}", "host bits"},
      {"inspection: {bypass_ips: [nope]}", "not an IP"},
      {"inspection: {routes: [{path: api}]}", "starts with '/'"},
      {"inspection: {max_inputs: 0}", "max_inputs"},
  };
  for (const Case& k : cases) {
    auto c = load_config_string(k.yaml, "t", no_env());
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_NE(c.error().reason.find(k.needle), std::string::npos) << c.error().reason;
  }
}

TEST(InspectionConfig, PortcullisModeEnv) {
  auto detect = load_config_string("", "t", env_of({{"PORTCULLIS_MODE", "detect"}}));
  ASSERT_TRUE(detect.ok());
  EXPECT_EQ(detect->inspection.mode, StageMode::kMonitor);
  auto block = load_config_string("inspection: {mode: monitor}", "t",
                                  env_of({{"PORTCULLIS_MODE", "block"}}));
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(block->inspection.mode, StageMode::kEnforce);
  auto bad = load_config_string("", "t", env_of({{"PORTCULLIS_MODE", "loud"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().reason.find("PORTCULLIS_MODE"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::config
