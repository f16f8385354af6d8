// Data-driven tests of the NoSQL and prototype-pollution detectors (objects_cases.tsv).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "rules/objects/bracket_key.h"
#include "rules/objects/nosql_detector.h"
#include "rules/objects/proto_detector.h"

namespace portcullis::rules {
namespace {

struct Case {
  int line;
  std::string entry, expected, input;
};

std::vector<Case> load(const std::string& path) {
  std::vector<Case> cases;
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    size_t t1 = line.find('\t');
    size_t t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) continue;
    cases.push_back({n, line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)});
  }
  return cases;
}

std::optional<Finding> run(const Case& c) {
  if (c.entry == "key") {
    if (auto f = detect_nosql_key(c.input)) return f;
    std::string_view seg = c.input;
    return detect_proto_path(std::span<const std::string_view>(&seg, 1));
  }
  if (c.entry == "path") {
    BracketKey k = parse_bracket_key(c.input);
    for (std::string_view seg : k.view()) {
      if (auto f = detect_nosql_key(seg)) return f;
    }
    return detect_proto_path(k.view());
  }
  if (auto f = detect_nosql_value(c.input)) return f;
  return detect_proto_value(c.input);
}

TEST(ObjectsDetectors, DataDrivenCases) {
  auto cases = load(PORTCULLIS_SOURCE_DIR "/tests/rules/objects/objects_cases.tsv");
  ASSERT_GT(cases.size(), 100u);
  for (const Case& c : cases) {
    auto f = run(c);
    std::string got = f ? std::string(detector_name(f->detector)) : "none";
    EXPECT_EQ(got, c.expected) << "objects_cases.tsv:" << c.line << " [" << c.entry
                               << "] input: " << c.input
                               << (f ? " reason: " + std::string(f->reason) : std::string());
  }
}

TEST(NosqlDetector, FindingNamesTheOperator) {
  auto f = detect_nosql_value(R"({"user": {"$regex": "^adm"}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->detector, Detector::kNosql);
  EXPECT_EQ(f->context, "object");
  EXPECT_EQ(f->fingerprint(), "$regex");
  f = detect_nosql_key("$where");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->context, "key");
}

TEST(NosqlDetector, OperatorTableIsSortedForBinarySearch) {
  // is_mongo_operator binary-searches; every listed operator must be found.
  for (std::string_view op : {"$abs", "$addFields", "$bitsAnySet", "$geometry", "$where", "$gt",
                              "$gte", "$nin", "$unwind", "$replaceWith", "$concat", "$cond"}) {
    EXPECT_TRUE(is_mongo_operator(op)) << op;
  }
  EXPECT_FALSE(is_mongo_operator("$foo"));
  EXPECT_FALSE(is_mongo_operator("where"));
}

TEST(ProtoDetector, PathNeedsAdjacentConstructorPrototype) {
  std::string_view adjacent[] = {"a", "constructor", "prototype", "x"};
  std::string_view apart[] = {"constructor", "x", "prototype"};
  EXPECT_TRUE(detect_proto_path(adjacent));
  EXPECT_FALSE(detect_proto_path(apart));
  EXPECT_FALSE(detect_proto_path({}));
}

}  // namespace
}  // namespace portcullis::rules
