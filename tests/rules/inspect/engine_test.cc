#include "rules/inspect/engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "rules/inputs/extractor.h"
#include "rules/inspect/explain.h"
#include "rules/inspect/location_pattern.h"

namespace portcullis::rules {
namespace {

std::set<std::string> fired(InspectionEngine& e, const Input& in,
                            DetectorSet enabled = kAllDetectors) {
  InputFindings f;
  InspectOptions o;
  o.enabled = enabled;
  e.inspect(in, o, f);
  std::set<std::string> out;
  for (uint8_t i = 0; i < f.count; ++i) out.emplace(detector_name(f.items[i].detector));
  return out;
}

std::set<std::string> split(const std::string& list) {
  std::set<std::string> out;
  if (list == "-") return out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) out.insert(item);
  return out;
}

// Data-driven: tests/rules/inspect/engine_cases.txt (location, raw, expected detectors).
TEST(InspectionEngine, Cases) {
  std::ifstream file(PORTCULLIS_SOURCE_DIR "/tests/rules/inspect/engine_cases.txt");
  ASSERT_TRUE(file.is_open());
  InspectionEngine engine;
  std::string line;
  int n = 0;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t t1 = line.find('\t'), t2 = line.rfind('\t');
    ASSERT_NE(t1, t2) << line;
    Input in;
    in.location = std::string_view(line).substr(0, t1);
    in.raw = std::string_view(line).substr(t1 + 1, t2 - t1 - 1);
    in.plus_as_space = true;
    EXPECT_EQ(fired(engine, in), split(line.substr(t2 + 1))) << line;
    ++n;
  }
  EXPECT_GT(n, 10);
}

TEST(InspectionEngine, KeysGoThroughOperatorAndPrototypeChecks) {
  InspectionEngine engine;
  std::string_view path1[] = {"user", "$ne"};
  Input k;
  k.is_key = true;
  k.location = "query:user[$ne]";
  k.raw = "user[$ne]";
  k.key_path = path1;
  EXPECT_TRUE(fired(engine, k).count("nosql"));
  std::string_view path2[] = {"a", "constructor", "prototype", "isAdmin"};
  k.raw = "a[constructor][prototype][isAdmin]";
  k.key_path = path2;
  EXPECT_TRUE(fired(engine, k).count("proto"));
  std::string_view path3[] = {"user", "name"};
  k.raw = "user[name]";
  k.key_path = path3;
  EXPECT_TRUE(fired(engine, k).empty());
}

TEST(InspectionEngine, DisabledDetectorsDoNotRun) {
  InspectionEngine engine;
  Input in;
  in.raw = "1' OR '1'='1";
  EXPECT_TRUE(fired(engine, in).count("sqli"));
  EXPECT_TRUE(fired(engine, in, kAllDetectors & ~detector_bit(Detector::kSqli)).empty());
  in.detectors = detector_bit(Detector::kPath);  // e.g. the whole URL path
  EXPECT_TRUE(fired(engine, in).empty());
}

TEST(InspectionEngine, Base64FindingsSayBase64) {
  InspectionEngine e;
  InputFindings f;
  // base64("<script>alert(1)</script>")
  ASSERT_GT(e.inspect_query_value("PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", InspectOptions{}, f), 0);
  EXPECT_EQ(f.items[0].context, "base64");
  // Clean text is not decoded again: the plain finding keeps its own context.
  ASSERT_GT(e.inspect_query_value("<script>alert(1)</script>", InspectOptions{}, f), 0);
  EXPECT_NE(f.items[0].context, "base64");
}

TEST(InspectionEngine, DetectorNames) {
  for (int i = 0; i < 8; ++i) {
    auto d = static_cast<Detector>(i);
    EXPECT_EQ(detector_from_name(detector_name(d)), d);
  }
  EXPECT_FALSE(detector_from_name("nope").has_value());
}

TEST(LocationPattern, Glob) {
  EXPECT_TRUE(glob_match("query:q", "query:q"));
  EXPECT_FALSE(glob_match("query:q", "query:qq"));
  EXPECT_TRUE(glob_match("body.json:user.*", "body.json:user.bio"));
  EXPECT_TRUE(glob_match("*:password", "body.form:password"));
  EXPECT_TRUE(glob_match("/api/*", "/api/v1/x"));
  EXPECT_FALSE(glob_match("/api/*", "/apix"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a*b*c", "axxbyyc"));
  EXPECT_FALSE(glob_match("a*b*c", "axxbyy"));
}

TEST(Explain, ShowsContextsTokensAndVerdicts) {
  Input in;
  in.location = "query:id";
  in.raw = "1%27%20OR%201=1--";
  in.plus_as_space = true;
  std::string out;
  EXPECT_TRUE(explain_input(in, kAllDetectors, out));
  EXPECT_NE(out.find("decoded: 1' OR 1=1--"), std::string::npos) << out;
  EXPECT_NE(out.find("sqli: FLAGGED"), std::string::npos) << out;
  EXPECT_NE(out.find("context single-quote"), std::string::npos) << out;
  EXPECT_NE(out.find("xss: not flagged"), std::string::npos) << out;
  std::string clean;
  in.raw = "hello";
  EXPECT_FALSE(explain_input(in, detector_bit(Detector::kSqli), clean));
  EXPECT_EQ(clean.find("xss"), std::string::npos) << clean;
}

}  // namespace
}  // namespace portcullis::rules
