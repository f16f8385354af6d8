#include "rules/inputs/extractor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::rules {
namespace {

struct Seen {
  std::string location;
  std::string raw;
  bool is_key;
  std::vector<std::string> path;
  DetectorSet detectors;
};

// Copies every input (views die after on_input).
class Collect : public InputSink {
 public:
  bool on_input(const Input& in) override {
    Seen s{std::string(in.location), std::string(in.raw), in.is_key, {}, in.detectors};
    for (auto seg : in.key_path) s.path.emplace_back(seg);
    seen.push_back(std::move(s));
    return true;
  }
  std::vector<Seen> seen;
  std::vector<std::string> values() const {
    std::vector<std::string> out;
    for (const Seen& s : seen) {
      if (!s.is_key) out.push_back(s.location + "=" + s.raw);
    }
    return out;
  }
};

TEST(Extractor, QueryKeysValuesRepeatedAndBrackets) {
  Extractor x;
  x.reset({});
  Collect c;
  ExtractResult r =
      x.query("a=1&a=2&user%5Bname%5D=bob&b[c][$ne]=x&flag&=v", InputSource::kQuery, c);
  EXPECT_EQ(r.flags, 0u);
  EXPECT_EQ(c.values(), (std::vector<std::string>{"query:a=1", "query:a=2", "query:user[name]=bob",
                                                  "query:b[c][$ne]=x", "query:=v"}));
  // The bracket key is split into the path the app would walk.
  const Seen* key = nullptr;
  for (const Seen& s : c.seen) {
    if (s.is_key && s.raw == "b[c][$ne]") key = &s;
  }
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->path, (std::vector<std::string>{"b", "c", "$ne"}));
  EXPECT_EQ(x.inputs(), 10u);  // 5 named keys (not the empty one) + 5 values
}

TEST(Extractor, PathWholeForTraversalAndSegmentsForTheRest) {
  Extractor x;
  x.reset({});
  Collect c;
  (void)x.path("/api/users/1%27%20OR%201=1", c);
  ASSERT_EQ(c.seen.size(), 4u);
  EXPECT_EQ(c.seen[0].location, "path");
  EXPECT_EQ(c.seen[0].detectors, detector_bit(Detector::kPath));
  EXPECT_EQ(c.seen[3].location, "path:2");
  EXPECT_EQ(c.seen[3].raw, "1%27%20OR%201=1");
  EXPECT_EQ(c.seen[3].detectors & detector_bit(Detector::kPath), 0);
}

TEST(Extractor, Cookies) {
  Extractor x;
  x.reset({});
  Collect c;
  (void)x.cookies("sid=abc; theme=dark;  q=1%27", c);
  EXPECT_EQ(c.values(),
            (std::vector<std::string>{"cookie:sid=abc", "cookie:theme=dark", "cookie:q=1%27"}));
}

TEST(Extractor, JsonKeysAndStringLeavesWithPaths) {
  Extractor x;
  x.reset({});
  Collect c;
  ExtractResult r = x.json(
      R"({"user":{"name":"bob","age":3,"tags":["a",{"k":"v"}]},"$where":"1","ok":true})", false, c);
  EXPECT_EQ(r.flags, 0u);
  EXPECT_EQ(c.values(),
            (std::vector<std::string>{"body.json:user.name=bob", "body.json:user.tags[0]=a",
                                      "body.json:user.tags[1].k=v", "body.json:$where=1"}));
  std::vector<std::string> keys;
  for (const Seen& s : c.seen) {
    if (s.is_key) keys.push_back(s.location);
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"body.json:user", "body.json:user.name", "body.json:user.age",
                                      "body.json:user.tags", "body.json:user.tags[1].k",
                                      "body.json:$where", "body.json:ok"}));
  // A key carries its full path from the root (prototype pollution walks it).
  for (const Seen& s : c.seen) {
    if (s.is_key && s.raw == "k") {
      EXPECT_EQ(s.path, (std::vector<std::string>{"user", "tags", "k"}));
    }
  }
}

TEST(Extractor, JsonEscapesAreUnescaped) {
  Extractor x;
  x.reset({});
  Collect c;
  (void)x.json(R"({"q":"\u0027 OR 1=1--"})", false, c);
  EXPECT_EQ(c.values(), (std::vector<std::string>{"body.json:q=' OR 1=1--"}));
}

TEST(Extractor, JsonTooDeepIsFlaggedAndNotDescended) {
  Extractor x;
  ExtractLimits l;
  l.max_depth = 3;
  x.reset(l);
  Collect c;
  ExtractResult r = x.json(R"({"a":{"b":{"c":{"d":"deep"}}},"e":"shallow"})", false, c);
  EXPECT_TRUE(r.has(kExtractTooDeep));
  EXPECT_EQ(c.values(), (std::vector<std::string>{"body.json:e=shallow"}));
}

TEST(Extractor, InvalidJsonIsInspectedWhole) {
  Extractor x;
  x.reset({});
  Collect c;
  ExtractResult r = x.json("{'a': 1 OR 1=1", false, c);
  EXPECT_TRUE(r.has(kExtractMalformed));
  EXPECT_EQ(c.values(), (std::vector<std::string>{"body={'a': 1 OR 1=1"}));
}

TEST(Extractor, MaxInputsStopsAndFlags) {
  Extractor x;
  ExtractLimits l;
  l.max_inputs = 3;
  x.reset(l);
  Collect c;
  ExtractResult r = x.query("a=1&b=2&c=3", InputSource::kQuery, c);
  EXPECT_TRUE(r.has(kExtractTooManyInputs));
  EXPECT_EQ(c.seen.size(), 3u);
}

TEST(Extractor, FormBody) {
  Extractor x;
  x.reset({});
  Collect c;
  (void)x.body(classify_body("application/x-www-form-urlencoded; charset=UTF-8"),
               "name=O%27Reilly&comment=hi+there", false, c);
  EXPECT_EQ(c.values(),
            (std::vector<std::string>{"body.form:name=O%27Reilly", "body.form:comment=hi+there"}));
}

TEST(Extractor, MultipartFieldsAndFilenames) {
  const std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
      "hello world\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"upload\"; filename=\"../../etc/passwd\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n"
      "binary; rm -rf /\r\n"
      "--XyZ--\r\n";
  BodyType t = classify_body("multipart/form-data; boundary=\"XyZ\"");
  ASSERT_EQ(t.kind, BodyKind::kMultipart);
  EXPECT_EQ(t.boundary, "XyZ");
  {
    Extractor x;
    x.reset({});
    Collect c;
    ExtractResult r = x.body(t, body, false, c);
    EXPECT_EQ(r.flags, 0u);
    EXPECT_EQ(c.values(),
              (std::vector<std::string>{"body.multipart:title=hello world",
                                        "body.multipart:upload#filename=../../etc/passwd"}));
  }
  {
    Extractor x;
    ExtractLimits l;
    l.inspect_file_contents = true;
    x.reset(l);
    Collect c;
    (void)x.body(t, body, false, c);
    EXPECT_EQ(c.values(),
              (std::vector<std::string>{"body.multipart:title=hello world",
                                        "body.multipart:upload=binary; rm -rf /",
                                        "body.multipart:upload#filename=../../etc/passwd"}));
  }
}

TEST(Extractor, ClassifyBody) {
  EXPECT_EQ(classify_body("application/json").kind, BodyKind::kJson);
  EXPECT_EQ(classify_body("Application/JSON; charset=utf-8").kind, BodyKind::kJson);
  EXPECT_EQ(classify_body("application/vnd.api+json").kind, BodyKind::kJson);
  EXPECT_EQ(classify_body("text/plain").kind, BodyKind::kNone);
  EXPECT_EQ(classify_body("multipart/form-data").kind, BodyKind::kNone);  // no boundary
}

TEST(Extractor, HeaderLocation) {
  Extractor x;
  x.reset({});
  Collect c;
  (void)x.header("user-agent", "() { :; }; /bin/bash -c id", c);
  ASSERT_EQ(c.seen.size(), 1u);
  EXPECT_EQ(c.seen[0].location, "header:user-agent");
}

}  // namespace
}  // namespace portcullis::rules
