// XML request bodies through the real proxy: an XXE DOCTYPE and SQL injection in a SOAP field are
// refused with 403 before the origin sees them; a benign SOAP envelope passes and reaches the
// origin byte for byte; the audit event names the XML location; body.xml:* exclusions work.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

std::string PostXml(std::string_view target, std::string_view type, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: app\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string Envelope(std::string_view user) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n"
         "  <soap:Header/>\n"
         "  <soap:Body>\n"
         "    <m:GetOrders xmlns:m=\"http://example.com/orders\" since=\"2024-05-01\">\n"
         "      <m:User>" +
         std::string(user) +
         "</m:User>\n"
         "      <m:Note><![CDATA[Patrick O'Brien's orders & returns]]></m:Note>\n"
         "    </m:GetOrders>\n"
         "  </soap:Body>\n"
         "</soap:Envelope>\n";
}

// Audit events go to a file sink in a private directory, so a test can look for a location.
class InspectionXml : public ProxyTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/portcullis-xml-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string AuditConfig() const {
    return "audit:\n  spool_dir: \"" + dir_ +
           "/spool\"\n  sinks:\n    - {name: f, type: file, path: \"" + dir_ + "/audit.json\"}\n";
  }
  std::string Audit() const {
    std::ifstream f(dir_ + "/audit.json");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  // Polls the audit file (written asynchronously) for `needle`.
  bool AuditContains(const std::string& needle) const {
    for (int i = 0; i < 100; ++i) {
      if (Audit().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string dir_;
};

TEST_F(InspectionXml, XxeDoctypeIsBlocked) {
  StartProxy(AuditConfig());
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE data [\n  <!ENTITY file SYSTEM "
      "\"file:///etc/passwd\">\n]>\n<data>&file;</data>\n";
  auto r = Fetch(port(), PostXml("/api/import", "application/xml", xxe));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(origin_->requests_served(), 0u) << "an XXE document reached the origin";
  // The audit event names the DOCTYPE input.
  EXPECT_TRUE(AuditContains("\"body.xml:doctype\"")) << Audit();
}

TEST_F(InspectionXml, SqlInjectionInASoapFieldIsBlocked) {
  StartProxy(AuditConfig());
  auto r = Fetch(port(), PostXml("/soap", "text/xml; charset=utf-8", Envelope("' OR 1=1 --")));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 403);
  auto r12 = Fetch(port(), PostXml("/soap", "application/soap+xml; charset=utf-8",
                                   Envelope("x&apos; UNION SELECT password FROM users--")));
  ASSERT_TRUE(r12.has_value());
  EXPECT_EQ(r12->status, 403);
  EXPECT_EQ(origin_->requests_served(), 0u);
  EXPECT_TRUE(AuditContains("\"body.xml:/Envelope/Body/GetOrders/User\"")) << Audit();
}

TEST_F(InspectionXml, BenignSoapEnvelopeReachesTheOriginUnchanged) {
  StartProxy();
  const std::string body = Envelope("alice.smith");
  auto r = Fetch(port(), PostXml("/soap", "text/xml; charset=utf-8", body));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  // The test origin echoes the request head, an empty line, then the body as received.
  ASSERT_GE(r->body.size(), body.size());
  EXPECT_EQ(r->body.substr(r->body.size() - body.size()), body);
  EXPECT_EQ(origin_->requests_served(), 1u);
}

TEST_F(InspectionXml, ExclusionPatternsNameXmlLocations) {
  StartProxy("inspection:\n  exclude: [\"body.xml:/Envelope/Body/GetOrders/*\"]\n");
  auto r = Fetch(port(), PostXml("/soap", "text/xml", Envelope("' OR 1=1 --")));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(InspectionXml, DeepXmlIsBlockedByDefault) {
  StartProxy("inspection: {max_depth: 4}\n");
  auto deep =
      Fetch(port(), PostXml("/x", "application/xml", "<a><b><c><d><e>x</e></d></c></b></a>"));
  ASSERT_TRUE(deep.has_value());
  EXPECT_EQ(deep->status, 403);
  auto ok = Fetch(port(), PostXml("/x", "application/xml", "<a><b><c><d>x</d></c></b></a>"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

}  // namespace
}  // namespace portcullis::testing
