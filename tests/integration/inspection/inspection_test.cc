// The inspection stage through the real proxy: every input location, block vs detect mode
// (PORTCULLIS_MODE), per-route overrides and parameter exclusions.
#include <string>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

const std::string kSqli = "1%27%20OR%20%271%27=%271";

std::string Post(std::string_view target, std::string_view type, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: app\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class Inspection : public ProxyTest {
 protected:
  int Status(const std::string& request) {
    auto r = Fetch(port(), request);
    EXPECT_TRUE(r.has_value());
    return r ? r->status : 0;
  }
};

TEST_F(Inspection, BlocksEveryInputLocationWithRequestId) {
  StartProxy();
  const std::string requests[] = {
      Get("/search?id=" + kSqli),
      Get("/files/..%2f..%2f..%2fetc%2fpasswd"),
      Get("/", "Cookie: sid=1; q=1' UNION SELECT password FROM users--\r\n"),
      Get("/", "User-Agent: () { :; }; /bin/bash -c 'cat /etc/passwd'\r\n"),
      Post("/f", "application/x-www-form-urlencoded", "a=1&url=http%3A%2F%2F169.254.169.254%2F"),
      Post("/api", "application/json", R"({"user":{"name":"x","pass":{"$ne":null}}})"),
      Post("/up", "multipart/form-data; boundary=zz",
           "--zz\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n<script>alert(1)</script>\r\n"
           "--zz--\r\n"),
  };
  for (const std::string& req : requests) {
    auto r = Fetch(port(), req);
    ASSERT_TRUE(r.has_value()) << req;
    EXPECT_EQ(r->status, 403) << req;
    ASSERT_EQ(r->headers.count("x-request-id"), 1u) << req;
    EXPECT_NE(r->body.find(r->headers["x-request-id"]), std::string::npos) << r->body;
  }
  EXPECT_EQ(origin_->requests_served(), 0u) << "a blocked request reached the origin";
}

TEST_F(Inspection, PassesBenignInputs) {
  StartProxy();
  EXPECT_EQ(Status(Get("/books?q=O%27Reilly%27s+book&price=%245")), 200);
  EXPECT_EQ(Status(Post("/api", "application/json", R"({"comment":"don't select that, it's $5"})")),
            200);
  EXPECT_EQ(
      Status(Post("/f", "application/x-www-form-urlencoded", "url=https%3A%2F%2Fexample.com%2F")),
      200);
}

TEST(InspectionMode, DetectModePassesAndBlockModeBlocks) {
  TestOrigin origin;
  auto detect = ProxyProcess::Start(BaseConfig(origin.port()), {"PORTCULLIS_MODE=detect"});
  ASSERT_NE(detect, nullptr);
  auto r = Fetch(detect->port(), Get("/?id=" + kSqli));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  auto block = ProxyProcess::Start(BaseConfig(origin.port(), "inspection: {mode: monitor}\n"),
                                   {"PORTCULLIS_MODE=block"});
  ASSERT_NE(block, nullptr);
  auto b = Fetch(block->port(), Get("/?id=" + kSqli));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->status, 403);
}

TEST_F(Inspection, RouteOverrideAndExclusion) {
  StartProxy(
      "inspection:\n"
      "  exclude: [\"query:comment\"]\n"
      "  routes:\n"
      "    - {methods: [GET], path: \"/legacy/*\", detectors: {sqli: monitor}}\n"
      "    - {path: \"/raw/*\", mode: off}\n");
  EXPECT_EQ(Status(Get("/legacy/report?id=" + kSqli)), 200);
  EXPECT_EQ(Status(Get("/raw/x?id=" + kSqli)), 200);
  EXPECT_EQ(Status(Get("/other?id=" + kSqli)), 403);
  EXPECT_EQ(Status(Get("/other?comment=" + kSqli)), 200);
  EXPECT_EQ(Status(Get("/other?comment=ok&id=" + kSqli)), 403);
}

TEST_F(Inspection, DeepJsonIsBlockedByDefault) {
  StartProxy("inspection: {max_depth: 4}\n");
  EXPECT_EQ(Status(Post("/api", "application/json", R"({"a":{"b":{"c":{"d":{"e":"x"}}}}})")), 403);
  EXPECT_EQ(Status(Post("/api", "application/json", R"({"a":{"b":"x"}})")), 200);
}

}  // namespace
}  // namespace portcullis::testing
