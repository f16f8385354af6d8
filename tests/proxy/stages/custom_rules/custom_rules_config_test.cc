// The `custom_rules:` config section (proxy/config/section_custom_rules.cc).
#include <gtest/gtest.h>

#include "proxy/config/config.h"

namespace portcullis::config {
namespace {

TEST(CustomRulesConfig, DefaultsLoadNoRules) {
  auto c = load_config_string("listen: \"127.0.0.1:0\"\n", "t", no_env());
  ASSERT_TRUE(c.ok()) << c.error().reason;
  EXPECT_EQ(c->custom_rules, CustomRulesConfig{});
  EXPECT_TRUE(c->custom_rules.files.empty());
  EXPECT_EQ(c->custom_rules.mode, StageMode::kEnforce);
  EXPECT_EQ(c->custom_rules.match_limit, 100000u);
}

TEST(CustomRulesConfig, ParsesEveryKey) {
  auto c = load_config_string(R"(
custom_rules:
  mode: monitor
  files: [rules/custom-rules, /etc/portcullis/extra.yaml]
  max_body_bytes: 64k
  max_inputs: 200
  max_input_bytes: 4k
  match_limit: 5000
  depth_limit: 200
  heap_limit: 2m
  jit_stack_size: 512k
)",
                              "t", no_env());
  ASSERT_TRUE(c.ok()) << c.error().reason;
  const CustomRulesConfig& r = c->custom_rules;
  EXPECT_EQ(r.mode, StageMode::kMonitor);
  EXPECT_EQ(r.files,
            (std::vector<std::string>{"rules/custom-rules", "/etc/portcullis/extra.yaml"}));
  EXPECT_EQ(r.max_body_bytes, 64u * 1024);
  EXPECT_EQ(r.max_inputs, 200u);
  EXPECT_EQ(r.max_input_bytes, 4096u);
  EXPECT_EQ(r.match_limit, 5000u);
  EXPECT_EQ(r.depth_limit, 200u);
  EXPECT_EQ(r.heap_limit_kib, 2048u);
  EXPECT_EQ(r.jit_stack_bytes, 512u * 1024);
  auto one = load_config_string("custom_rules: {files: one.yaml}\n", "t", no_env());
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->custom_rules.files, std::vector<std::string>{"one.yaml"});
}

TEST(CustomRulesConfig, RefusesBadValuesWithPosition) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"custom_rules:\n  mode: block\n", "t:2:"},
      {"custom_rules:\n  match_limit: 10\n", "t:2:"},
      {"custom_rules:\n  files: ['']\n", "t:2:"},
      {"custom_rules:\n  jit_stak_size: 1m\n", "jit_stak_size"},
      {"custom_rules:\n  max_input_bytes: 2g\n", "t:2:"},
  };
  for (const Case& k : cases) {
    auto c = load_config_string(k.yaml, "t", no_env());
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_NE(c.error().reason.find(k.want), std::string::npos) << c.error().reason;
  }
}

}  // namespace
}  // namespace portcullis::config
