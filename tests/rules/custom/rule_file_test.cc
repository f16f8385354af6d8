// Rule file parsing: the accepted shape, shorthand expansion, and errors that name file:line and
// the rule id.
#include "rules/custom/rule_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace portcullis::rules::custom {
namespace {

TEST(RuleFile, ParsesEveryField) {
  auto r = parse_rule_file(R"(rules:
  - id: r1
    description: first
    inputs: [query, path, headers, cookies, body, "header:User-Agent", "body.json:user.*"]
    transforms: [url_decode, lowercase]
    pattern: 'x+'
    action: monitor
    priority: -5
  - id: r2
    inputs: "path:*"
    pattern: y
    action: allow
)",
                           "a.yaml");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  ASSERT_EQ(r->size(), 2u);
  const RuleSpec& a = (*r)[0];
  EXPECT_EQ(a.id, "r1");
  EXPECT_EQ(a.description, "first");
  EXPECT_EQ(a.inputs, (std::vector<std::string>{"query:*", "path", "header:*", "cookie:*", "body*",
                                                "header:user-agent", "body.json:user.*"}));
  EXPECT_EQ(a.transforms, (std::vector<Transform>{Transform::kUrlDecode, Transform::kLowercase}));
  EXPECT_EQ(a.pattern, "x+");
  EXPECT_EQ(a.action, RuleAction::kMonitor);
  EXPECT_EQ(a.priority, -5);
  EXPECT_EQ(a.file, "a.yaml");
  EXPECT_EQ(a.line, 2u);
  const RuleSpec& b = (*r)[1];
  EXPECT_EQ(b.inputs, std::vector<std::string>{"path:*"});
  EXPECT_TRUE(b.transforms.empty());
  EXPECT_EQ(b.action, RuleAction::kAllow);
  EXPECT_EQ(b.priority, 100);
  EXPECT_EQ(b.line, 9u);
}

TEST(RuleFile, EmptyFileAndEmptyListHaveNoRules) {
  auto a = parse_rule_file("", "e.yaml");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->empty());
  auto b = parse_rule_file("rules: []\n", "e.yaml");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
}

struct BadCase {
  const char* yaml;
  const char* expected;  // substring of the error
};

TEST(RuleFile, ErrorsNameFileLineAndRule) {
  const BadCase cases[] = {
      {"rules:\n  - id: a\n    inputs: [path]\n    pattern: x\n    action: block\n    prority: 1\n",
       "f.yaml:6: rule 'a': unknown key 'prority'"},
      {"rules:\n  - id: a\n    inputs: [path]\n    action: block\n",
       "f.yaml:2: rule 'a': missing pattern"},
      {"rules:\n  - id: a\n    pattern: x\n    action: block\n",
       "f.yaml:2: rule 'a': missing inputs"},
      {"rules:\n  - id: a\n    inputs: [path]\n    pattern: x\n",
       "f.yaml:2: rule 'a': missing action"},
      {"rules:\n  - id: a\n    inputs: [path]\n    pattern: x\n    action: deny\n",
       "f.yaml:5: rule 'a': action must be block, monitor or allow"},
      {"rules:\n  - id: a\n    inputs: [querry]\n    pattern: x\n    action: block\n",
       "f.yaml:3: rule 'a': unknown input 'querry'"},
      {"rules:\n  - id: a\n    inputs: []\n    pattern: x\n    action: block\n",
       "f.yaml:3: rule 'a': inputs must be a non-empty list"},
      {"rules:\n  - id: a\n    inputs: [path]\n    transforms: [lowercase, urldecode]\n    "
       "pattern: x\n"
       "    action: block\n",
       "f.yaml:4: rule 'a': unknown transform 'urldecode'"},
      {"rules:\n  - id: a\n    inputs: [path]\n    pattern: x\n    action: block\n    priority: "
       "high\n",
       "f.yaml:6: rule 'a': priority must be an integer"},
      {"rules:\n  - id: a\n    inputs: [path]\n    pattern: ''\n    action: block\n",
       "f.yaml:4: rule 'a': pattern must be a non-empty string"},
      {"rules:\n  - inputs: [path]\n    pattern: x\n    action: block\n",
       "f.yaml:2: rule without an id"},
      {"rules:\n  - id: 'has space'\n    inputs: [path]\n    pattern: x\n    action: block\n",
       "f.yaml:2: rule id 'has space' must be"},
      {"rulez: []\n", "f.yaml:1: unknown key 'rulez'"},
      {"rules: {id: a}\n", "f.yaml:1: rules must be a list"},
      {"rules:\n  - id: a\n    pattern: [unclosed\n", "f.yaml:"},
      {"rules:\n  - just a string\n", "f.yaml:2: a rule must be a mapping"},
  };
  for (const BadCase& c : cases) {
    auto r = parse_rule_file(c.yaml, "f.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.error().reason.find(c.expected), std::string::npos)
        << "got: " << r.error().reason << "\nwant: " << c.expected;
  }
}

class RuleDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("custom-rules-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
};

std::string OneRule(const std::string& id) {
  return "rules:\n  - {id: " + id + ", inputs: [path], pattern: x, action: block}\n";
}

TEST_F(RuleDir, DirectoryLoadsYamlFilesInNameOrder) {
  Write("b.yaml", OneRule("from-b"));
  Write("a.yml", OneRule("from-a"));
  Write("c.txt", OneRule("ignored"));
  const std::string extra =
      Write("../" + dir_.filename().string() + "-extra.yaml", OneRule("extra"));
  std::vector<std::string> paths{dir_.string(), extra};
  auto r = load_rule_paths(paths);
  std::filesystem::remove(extra);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].id, "from-a");
  EXPECT_EQ((*r)[1].id, "from-b");
  EXPECT_EQ((*r)[2].id, "extra");
  EXPECT_EQ((*r)[0].file, (dir_ / "a.yml").string());
}

TEST_F(RuleDir, MissingFileAndBadFileNameThePath) {
  std::vector<std::string> missing{(dir_ / "nope.yaml").string()};
  auto r = load_rule_paths(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().reason.find("nope.yaml"), std::string::npos);
  std::vector<std::string> bad{Write("bad.yaml", "rules:\n  - {id: x, pattern: y}\n")};
  auto b = load_rule_paths(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().reason.find(bad[0] + ":2: rule 'x': missing inputs"), std::string::npos)
      << b.error().reason;
}

}  // namespace
}  // namespace portcullis::rules::custom
