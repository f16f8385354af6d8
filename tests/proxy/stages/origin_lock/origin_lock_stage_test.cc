// OriginLockStage decisions on hand-built request heads: peer in/out of the ranges (v4, v6,
// v4-mapped), secret right/wrong/missing/rotated/duplicated, header stripping, spoofed
// CF-Connecting-IP, Host allow-list, 403 vs close, monitor and off modes.
#include "proxy/stages/origin_lock/origin_lock_stage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace portcullis::origin_lock {
namespace {

using config::LockAction;
using config::LockMode;
using pipeline::Action;
using pipeline::RequestContext;

constexpr char kSecret[] = "s3cret-0123456789abcdef";
constexpr char kOldSecret[] = "old-secret-0123456789";

// A Cloudflare-like list: 173.245.48.0/20 and 2400:cb00::/32.
std::shared_ptr<const net::CidrSet> cf_set() {
  auto set = net::CidrSet::parse("173.245.48.0/20\n2400:cb00::/32\n", "test");
  EXPECT_TRUE(set.ok());
  return std::make_shared<const net::CidrSet>(std::move(set.value()));
}

OriginLockSettings base(LockMode mode = LockMode::kEnforce) {
  OriginLockSettings s;
  s.mode = mode;
  s.real_client_ip = true;
  s.cloudflare = cf_set();
  return s;
}

// Owns the head's storage for one request.
struct Request {
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<http::Header> storage;
  http::RequestHead head;
  RequestContext ctx;
  std::string peer;

  Request(std::string peer_ip, std::vector<std::pair<std::string, std::string>> hs,
          std::string host = "app.example")
      : headers(std::move(hs)), peer(std::move(peer_ip)) {
    headers.insert(headers.begin(), {"Host", host});
    for (auto& [n, v] : headers) storage.push_back({n, v});
    head.method = "GET";
    head.target = "/";
    head.headers = storage.data();
    head.num_headers = static_cast<uint32_t>(storage.size());
    head.host = headers[0].second;
    ctx.head = &head;
    ctx.peer_ip = peer;
    ctx.client_ip = peer;
  }
  bool strips(std::string_view name) const {
    for (size_t i = 0; i < ctx.num_strip_headers; ++i) {
      if (ctx.strip_headers[i] == name) return true;
    }
    return false;
  }
  bool detected(std::string_view reason) const {
    for (size_t i = 0; i < ctx.num_detections; ++i) {
      if (ctx.detections[i].finding.reason == reason) return true;
    }
    return false;
  }
};

pipeline::Verdict run(const OriginLockStage& stage, Request& r) {
  return stage.on_request_head(r.ctx);
}

TEST(OriginLockPeer, CloudflarePeerPassesOthersAreBlocked) {
  OriginLockStage stage(base());
  Request in("173.245.48.1", {});
  EXPECT_TRUE(run(stage, in).is_continue());
  EXPECT_TRUE(in.ctx.peer_trusted);
  Request out("203.0.113.7", {});
  auto v = run(stage, out);
  EXPECT_EQ(v.action, Action::kBlock);
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(v.reason, kReasonUntrustedPeer);
  EXPECT_FALSE(out.ctx.peer_trusted);
}

TEST(OriginLockPeer, RangeBoundaries) {
  OriginLockStage stage(base());
  Request first("173.245.48.0", {}), last("173.245.63.255", {}), after("173.245.64.0", {}),
      before("173.245.47.255", {});
  EXPECT_TRUE(run(stage, first).is_continue());
  EXPECT_TRUE(run(stage, last).is_continue());
  EXPECT_FALSE(run(stage, after).is_continue());
  EXPECT_FALSE(run(stage, before).is_continue());
}

TEST(OriginLockPeer, Ipv6AndV4MappedPeers) {
  OriginLockStage stage(base());
  Request v6("2400:cb00:2049::1", {});
  EXPECT_TRUE(run(stage, v6).is_continue());
  Request v6_out("2400:cb01::1", {});
  EXPECT_FALSE(run(stage, v6_out).is_continue());
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d (what inet_ntop prints).
  Request mapped("::ffff:173.245.48.9", {});
  EXPECT_TRUE(run(stage, mapped).is_continue());
  Request mapped_out("::ffff:10.0.0.1", {});
  EXPECT_FALSE(run(stage, mapped_out).is_continue());
}

TEST(OriginLockPeer, UnparsablePeerIsUntrusted) {
  OriginLockStage stage(base());
  Request r("", {});
  EXPECT_EQ(run(stage, r).reason, kReasonUntrustedPeer);
}

TEST(OriginLockPeer, TrustedProxiesCountAsTrustedPeers) {
  OriginLockSettings s = base();
  s.cloudflare = nullptr;
  auto lo = net::Cidr::parse("127.0.0.1/32");
  ASSERT_TRUE(lo.ok());
  s.trusted_proxies = net::CidrSet::build(std::vector<net::Cidr>{*lo});
  OriginLockStage stage(std::move(s));
  Request tunnel("127.0.0.1", {{"CF-Connecting-IP", "198.51.100.4"}});
  EXPECT_TRUE(run(stage, tunnel).is_continue());
  EXPECT_EQ(tunnel.ctx.client_ip, "198.51.100.4");
  Request cf("173.245.48.1", {});  // Cloudflare ranges not trusted in this configuration
  EXPECT_FALSE(run(stage, cf).is_continue());
}

TEST(OriginLockAction, CloseDropsTheConnection) {
  OriginLockSettings s = base();
  s.action = LockAction::kClose;
  OriginLockStage stage(std::move(s));
  Request r("198.51.100.1", {});
  auto v = run(stage, r);
  EXPECT_EQ(v.action, Action::kClose);
  EXPECT_EQ(v.reason, kReasonUntrustedPeer);
}

TEST(OriginLockMode, MonitorReturnsTheVerdictForThePipelineToRecord) {
  // The pipeline turns a monitor-mode verdict into Continue + monitored_block; the stage itself
  // reports what it would have done.
  OriginLockStage stage(base(LockMode::kMonitor));
  Request r("198.51.100.1", {});
  EXPECT_EQ(run(stage, r).reason, kReasonUntrustedPeer);
}

TEST(OriginLockMode, OffNeverBlocksButStillResolvesTheClient) {
  OriginLockStage stage(base(LockMode::kOff));
  Request outsider("198.51.100.1", {});
  EXPECT_TRUE(run(stage, outsider).is_continue());
  Request cf("173.245.48.1", {{"CF-Connecting-IP", "2001:db8::7"}});
  EXPECT_TRUE(run(stage, cf).is_continue());
  EXPECT_EQ(cf.ctx.client_ip, "2001:db8::7");
}

class OriginLockSecret : public ::testing::Test {
 protected:
  OriginLockStage make(std::string_view previous = "") {
    OriginLockSettings s = base();
    s.secret = SecretMatcher(kSecret, previous);
    return OriginLockStage(std::move(s));
  }
};

TEST_F(OriginLockSecret, RightSecretFromCloudflarePassesAndIsStripped) {
  auto stage = make();
  Request r("173.245.48.1", {{"X-Origin-Secret", kSecret}});
  EXPECT_TRUE(run(stage, r).is_continue());
  EXPECT_TRUE(r.strips("x-origin-secret"));
}

TEST_F(OriginLockSecret, HeaderNameIsCaseInsensitive) {
  auto stage = make();
  Request r("173.245.48.1", {{"x-ORIGIN-secret", kSecret}});
  EXPECT_TRUE(run(stage, r).is_continue());
  EXPECT_TRUE(r.strips("x-origin-secret"));
}

TEST_F(OriginLockSecret, WrongOrMissingSecretIsBlocked) {
  auto stage = make();
  Request wrong("173.245.48.1", {{"X-Origin-Secret", "s3cret-0123456789abcdeX"}});
  EXPECT_EQ(run(stage, wrong).reason, kReasonSecretInvalid);
  EXPECT_TRUE(wrong.strips("x-origin-secret")) << "a wrong secret is stripped too";
  Request prefix("173.245.48.1", {{"X-Origin-Secret", "s3cret"}});
  EXPECT_EQ(run(stage, prefix).reason, kReasonSecretInvalid);
  Request empty("173.245.48.1", {{"X-Origin-Secret", ""}});
  EXPECT_EQ(run(stage, empty).reason, kReasonSecretInvalid);
  Request missing("173.245.48.1", {});
  EXPECT_EQ(run(stage, missing).reason, kReasonSecretMissing);
}

TEST_F(OriginLockSecret, DuplicatedSecretHeaderIsInvalid) {
  auto stage = make();
  Request r("173.245.48.1", {{"X-Origin-Secret", "guess"}, {"X-Origin-Secret", kSecret}});
  EXPECT_EQ(run(stage, r).reason, kReasonSecretInvalid);
}

TEST_F(OriginLockSecret, RotationAcceptsBothSecrets) {
  auto stage = make(kOldSecret);
  Request current("173.245.48.1", {{"X-Origin-Secret", kSecret}});
  Request old("173.245.48.1", {{"X-Origin-Secret", kOldSecret}});
  Request other("173.245.48.1", {{"X-Origin-Secret", "another-secret-0123456"}});
  EXPECT_TRUE(run(stage, current).is_continue());
  EXPECT_TRUE(run(stage, old).is_continue());
  EXPECT_EQ(run(stage, other).reason, kReasonSecretInvalid);
  auto after = make();  // rotation finished: the old one is refused
  Request old_again("173.245.48.1", {{"X-Origin-Secret", kOldSecret}});
  EXPECT_EQ(run(after, old_again).reason, kReasonSecretInvalid);
}

TEST_F(OriginLockSecret, ValidSecretFromUntrustedPeerIsALeak) {
  auto stage = make();
  Request r("203.0.113.50", {{"X-Origin-Secret", kSecret}});
  auto v = run(stage, r);
  EXPECT_EQ(v.action, Action::kBlock);
  EXPECT_EQ(v.reason, kReasonSecretLeaked);
  ASSERT_TRUE(r.detected(kReasonSecretLeaked));
  EXPECT_EQ(r.ctx.detections[0].location(), "header:x-origin-secret");
  EXPECT_EQ(r.ctx.detections[0].excerpt(), "203.0.113.50") << "never the secret itself";
  EXPECT_TRUE(r.ctx.detections[0].blocked);
  EXPECT_TRUE(r.strips("x-origin-secret"));
  // A wrong secret from outside is just an untrusted peer, not a leak.
  Request guess("203.0.113.50", {{"X-Origin-Secret", "nope-nope-nope-nope"}});
  EXPECT_EQ(run(stage, guess).reason, kReasonUntrustedPeer);
  EXPECT_FALSE(guess.detected(kReasonSecretLeaked));
}

TEST_F(OriginLockSecret, LeakIsRecordedEvenWhenTheLockIsOff) {
  OriginLockSettings s = base(LockMode::kOff);
  s.secret = SecretMatcher(kSecret, "");
  OriginLockStage stage(std::move(s));
  Request r("203.0.113.50", {{"X-Origin-Secret", kSecret}});
  EXPECT_TRUE(run(stage, r).is_continue());
  ASSERT_TRUE(r.detected(kReasonSecretLeaked));
  EXPECT_FALSE(r.ctx.detections[0].blocked);
  EXPECT_TRUE(r.strips("x-origin-secret"));
}

TEST_F(OriginLockSecret, SecretOnlyLockAcceptsAnyPeerWithTheSecret) {
  OriginLockSettings s = base();
  s.require_trusted_peer = false;
  s.secret = SecretMatcher(kSecret, "");
  OriginLockStage stage(std::move(s));
  Request r("203.0.113.50", {{"X-Origin-Secret", kSecret}});
  EXPECT_TRUE(run(stage, r).is_continue());
  EXPECT_FALSE(r.detected(kReasonSecretLeaked));
  Request no("203.0.113.50", {});
  EXPECT_EQ(run(stage, no).reason, kReasonSecretMissing);
}

TEST_F(OriginLockSecret, CustomHeaderName) {
  OriginLockSettings s = base();
  s.secret_header = "x-cf-auth";
  s.secret = SecretMatcher(kSecret, "");
  OriginLockStage stage(std::move(s));
  Request r("173.245.48.1", {{"X-CF-Auth", kSecret}});
  EXPECT_TRUE(run(stage, r).is_continue());
  EXPECT_TRUE(r.strips("x-cf-auth"));
  Request default_name("173.245.48.1", {{"X-Origin-Secret", kSecret}});
  EXPECT_EQ(run(stage, default_name).reason, kReasonSecretMissing);
}

TEST(SecretMatcher, ComparesDigests) {
  SecretMatcher none;
  EXPECT_FALSE(none.configured());
  EXPECT_FALSE(none.matches(""));
  SecretMatcher m(kSecret, "");
  EXPECT_TRUE(m.configured());
  EXPECT_FALSE(m.rotating());
  EXPECT_TRUE(m.matches(kSecret));
  EXPECT_FALSE(m.matches(std::string(kSecret) + " "));
  EXPECT_FALSE(m.matches(""));
  SecretMatcher r(kSecret, kOldSecret);
  EXPECT_TRUE(r.rotating());
  EXPECT_TRUE(r.matches(kOldSecret));
}

TEST(OriginLockClientIp, TrustedPeerSetsClientFromCfConnectingIp) {
  OriginLockStage stage(base());
  Request r("173.245.48.1", {{"CF-Connecting-IP", " 198.51.100.23 "},
                             {"X-Forwarded-For", "1.2.3.4, 198.51.100.23"}});
  EXPECT_TRUE(run(stage, r).is_continue());
  EXPECT_EQ(r.ctx.client_ip, "198.51.100.23");
  EXPECT_EQ(r.ctx.client_ip.data(), r.ctx.client_ip_buf);
  EXPECT_TRUE(r.strips("x-forwarded-for")) << "XFF is rebuilt from the resolved client";
  EXPECT_FALSE(r.strips("cf-connecting-ip")) << "the authentic header may reach the origin";
  EXPECT_FALSE(r.detected(kReasonClientIpSpoof));
}

TEST(OriginLockClientIp, Ipv6ClientIsCanonicalised) {
  OriginLockStage stage(base());
  Request r("2400:cb00::9", {{"CF-Connecting-IP", "2001:DB8:0:0:0:0:0:1"}});
  EXPECT_TRUE(run(stage, r).is_continue());
  EXPECT_EQ(r.ctx.client_ip, "2001:db8::1");
}

TEST(OriginLockClientIp, SpoofFromUntrustedPeerIsIgnoredAndRecorded) {
  OriginLockStage stage(base(LockMode::kOff));
  Request r("203.0.113.9", {{"CF-Connecting-IP", "1.1.1.1"},
                            {"True-Client-IP", "8.8.8.8"},
                            {"X-Forwarded-For", "9.9.9.9"},
                            {"Forwarded", "for=9.9.9.9"}});
  EXPECT_TRUE(run(stage, r).is_continue());
  EXPECT_EQ(r.ctx.client_ip, "203.0.113.9");
  ASSERT_TRUE(r.detected(kReasonClientIpSpoof));
  EXPECT_EQ(r.ctx.detections[0].location(), "header:cf-connecting-ip");
  EXPECT_EQ(r.ctx.detections[0].excerpt(), "1.1.1.1");
  EXPECT_FALSE(r.ctx.detections[0].blocked);
  for (auto h : {"cf-connecting-ip", "true-client-ip", "x-forwarded-for", "forwarded"}) {
    EXPECT_TRUE(r.strips(h)) << h;
  }
}

TEST(OriginLockClientIp, InvalidOrDuplicatedHeaderFallsBackToPeer) {
  OriginLockStage stage(base());
  Request bad("173.245.48.1", {{"CF-Connecting-IP", "1.2.3.4, 5.6.7.8"}});
  EXPECT_TRUE(run(stage, bad).is_continue());
  EXPECT_EQ(bad.ctx.client_ip, "173.245.48.1");
  Request dup("173.245.48.1", {{"CF-Connecting-IP", "1.2.3.4"}, {"CF-Connecting-IP", "5.6.7.8"}});
  EXPECT_TRUE(run(stage, dup).is_continue());
  EXPECT_EQ(dup.ctx.client_ip, "173.245.48.1");
  Request octal("173.245.48.1", {{"CF-Connecting-IP", "010.1.1.1"}});
  EXPECT_TRUE(run(stage, octal).is_continue());
  EXPECT_EQ(octal.ctx.client_ip, "173.245.48.1");
}

TEST(OriginLockClientIp, TrueClientIpOnlyWhenEnabled) {
  OriginLockStage off(base());
  Request r1("173.245.48.1", {{"True-Client-IP", "198.51.100.5"}});
  EXPECT_TRUE(run(off, r1).is_continue());
  EXPECT_EQ(r1.ctx.client_ip, "173.245.48.1");
  EXPECT_TRUE(r1.strips("true-client-ip")) << "not set by Cloudflare without Enterprise";
  OriginLockSettings s = base();
  s.true_client_ip = true;
  OriginLockStage on(std::move(s));
  Request r2("173.245.48.1", {{"True-Client-IP", "198.51.100.5"}});
  EXPECT_TRUE(run(on, r2).is_continue());
  EXPECT_EQ(r2.ctx.client_ip, "198.51.100.5");
  Request r3("173.245.48.1",
             {{"True-Client-IP", "198.51.100.5"}, {"CF-Connecting-IP", "192.0.2.1"}});
  EXPECT_TRUE(run(on, r3).is_continue());
  EXPECT_EQ(r3.ctx.client_ip, "192.0.2.1") << "CF-Connecting-IP wins";
}

TEST(OriginLockClientIp, DisabledLeavesHeadersAlone) {
  OriginLockSettings s = base();
  s.real_client_ip = false;
  OriginLockStage stage(std::move(s));
  Request r("173.245.48.1", {{"CF-Connecting-IP", "198.51.100.5"}, {"X-Forwarded-For", "1.2.3.4"}});
  EXPECT_TRUE(run(stage, r).is_continue());
  EXPECT_EQ(r.ctx.client_ip, "173.245.48.1");
  EXPECT_EQ(r.ctx.num_strip_headers, 0);
}

TEST(OriginLockHosts, AllowList) {
  OriginLockSettings s = base();
  s.allowed_hosts = {"app.example", "*.example.net"};
  OriginLockStage stage(std::move(s));
  EXPECT_TRUE(stage.host_allowed("app.example"));
  EXPECT_TRUE(stage.host_allowed("APP.Example:8443"));
  EXPECT_TRUE(stage.host_allowed("a.example.net"));
  EXPECT_TRUE(stage.host_allowed("a.b.example.net"));
  EXPECT_FALSE(stage.host_allowed("example.net"));
  EXPECT_FALSE(stage.host_allowed("evil-example.net"));
  EXPECT_FALSE(stage.host_allowed("app.example.evil"));
  EXPECT_FALSE(stage.host_allowed(""));
  EXPECT_FALSE(stage.host_allowed("[::1]:80"));
  Request ok("173.245.48.1", {}, "app.example");
  EXPECT_TRUE(run(stage, ok).is_continue());
  Request bad("173.245.48.1", {}, "origin-ip.example");
  EXPECT_EQ(run(stage, bad).reason, kReasonHostNotAllowed);
  Request outsider("198.51.100.1", {}, "origin-ip.example");
  EXPECT_EQ(run(stage, outsider).reason, kReasonUntrustedPeer) << "peer checked first";
}

}  // namespace
}  // namespace portcullis::origin_lock
