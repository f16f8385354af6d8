// Data-driven rejection tests: testdata/errors.txt holds YAML snippets (plus optional environment)
// and the substrings their error message must contain, including file:line:column.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/config/config.h"

namespace portcullis::config {
namespace {

struct ErrorCase {
  std::string name;
  int line = 0;  // in errors.txt, for the failure message
  std::string yaml;
  std::map<std::string, std::string> env;
  std::vector<std::string> expected;
};

std::vector<ErrorCase> load_cases() {
  std::ifstream in(std::string(PORTCULLIS_SOURCE_DIR) + "/tests/proxy/config/testdata/errors.txt");
  std::vector<ErrorCase> cases;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("=== ", 0) == 0) {
      cases.push_back(ErrorCase{line.substr(4), n, "", {}, {}});
    } else if (cases.empty()) {
      continue;  // header comments
    } else if (line.rfind("--- ", 0) == 0) {
      cases.back().expected.push_back(line.substr(4));
    } else if (line.rfind("+++ ", 0) == 0) {
      std::string kv = line.substr(4);
      size_t eq = kv.find('=');
      cases.back().env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    } else if (!(line.empty() && !cases.back().expected.empty())) {
      cases.back().yaml += line + "\n";
    }
  }
  return cases;
}

TEST(ConfigErrors, DataFileHasCases) {
  std::vector<ErrorCase> cases = load_cases();
  EXPECT_GE(cases.size(), 60u);
  for (const ErrorCase& c : cases) EXPECT_FALSE(c.expected.empty()) << c.name;
}

TEST(ConfigErrors, EachSnippetIsRejectedWithItsMessage) {
  for (const ErrorCase& c : load_cases()) {
    SCOPED_TRACE("errors.txt:" + std::to_string(c.line) + " '" + c.name + "'");
    std::map<std::string, std::string> env = c.env;
    EnvLookup lookup = [env](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    Result<Config> r = load_config_string(c.yaml, "t.yaml", lookup);
    ASSERT_FALSE(r.ok()) << "accepted:\n" << c.yaml;
    for (const std::string& want : c.expected) {
      EXPECT_NE(r.error().reason.find(want), std::string::npos)
          << "want: " << want << "\ngot:  " << r.error().reason;
    }
  }
}

}  // namespace
}  // namespace portcullis::config
