// The whole origin-lock decision per request (peer parse + range lookup + header scan + secret
// digest + client IP), on a realistic browser head as Cloudflare forwards it.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "proxy/stages/origin_lock/origin_lock_stage.h"
#include "rules/net/cloudflare_ranges.h"

namespace portcullis::origin_lock {
namespace {

constexpr char kSecret[] = "bench-secret-0123456789abcdef0123";

OriginLockStage make_stage(bool secret) {
  OriginLockSettings s;
  s.mode = config::LockMode::kEnforce;
  s.real_client_ip = true;
  s.cloudflare = std::make_shared<const net::CidrSet>(net::cloudflare_ranges().value().set);
  if (secret) s.secret = SecretMatcher(kSecret, "");
  return OriginLockStage(std::move(s));
}

struct Head {
  std::vector<http::Header> headers;
  http::RequestHead head;
  explicit Head(bool with_secret) {
    headers = {{"Host", "app.example.com"},
               {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0"},
               {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
               {"Accept-Language", "en-US,en;q=0.9"},
               {"Accept-Encoding", "gzip, br"},
               {"Cookie", "session=abcdef0123456789; theme=dark"},
               {"CF-Connecting-IP", "198.51.100.23"},
               {"CF-Ray", "8f1d2c3b4a5e6f70-AMS"},
               {"CF-IPCountry", "NL"},
               {"CF-Visitor", "{\"scheme\":\"https\"}"},
               {"X-Forwarded-For", "198.51.100.23"},
               {"X-Forwarded-Proto", "https"}};
    if (with_secret) headers.push_back({"X-Origin-Secret", kSecret});
    head.method = "GET";
    head.target = "/";
    head.host = "app.example.com";
    head.headers = headers.data();
    head.num_headers = static_cast<uint32_t>(headers.size());
  }
};

void run(benchmark::State& state, bool secret, const char* peer) {
  OriginLockStage stage = make_stage(secret);
  Head h(secret);
  for (auto _ : state) {
    pipeline::RequestContext ctx;
    ctx.head = &h.head;
    ctx.peer_ip = peer;
    ctx.client_ip = peer;
    pipeline::Verdict v = stage.on_request_head(ctx);
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(ctx.client_ip);
  }
}

// Cloudflare edge (IPv4) + CF-Connecting-IP, no secret.
void BM_PeerLock_CloudflareV4(benchmark::State& s) { run(s, false, "172.70.1.2"); }
// The same through an IPv6 edge address.
void BM_PeerLock_CloudflareV6(benchmark::State& s) { run(s, false, "2a06:98c0:3600::103"); }
// Peer ranges + shared secret (SHA-256 of the presented value, two CRYPTO_memcmp).
void BM_PeerAndSecretLock_Cloudflare(benchmark::State& s) { run(s, true, "172.70.1.2"); }
// An outsider: blocked, spoof recorded.
void BM_PeerLock_Outsider(benchmark::State& s) { run(s, false, "203.0.113.9"); }

BENCHMARK(BM_PeerLock_CloudflareV4);
BENCHMARK(BM_PeerLock_CloudflareV6);
BENCHMARK(BM_PeerAndSecretLock_Cloudflare);
BENCHMARK(BM_PeerLock_Outsider);

void BM_SecretMatch(benchmark::State& state) {
  SecretMatcher m(kSecret, "previous-secret-0123456789abcdef");
  for (auto _ : state) benchmark::DoNotOptimize(m.matches(kSecret));
}
BENCHMARK(BM_SecretMatch);

}  // namespace
}  // namespace portcullis::origin_lock
