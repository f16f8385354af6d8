// The whole rate-limit stage decision (normalise the path, match the rules, build the keys, GCRA
// in the shared table, auto-block check), local mode, with 1 and 1,000,000 distinct clients; and
// the cost of a shared decision through Redis (one EVALSHA round trip per request), sequential
// and pipelined, against the Redis of scripts/services.sh (skipped when it is not running).
#include <benchmark/benchmark.h>
#include <event2/event.h>

#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/stages/rate_limit/rate_limit_stage.h"
#include "tests/proxy/redis/redis_server.h"

namespace portcullis::rate_limit {
namespace {

const char* kYaml = R"(
rate_limit:
  table_size: 2000000
  rules:
    - {name: login, methods: [POST], path: /login, key: ip, limit: 5, period: 1m}
    - {name: api, path: "/api/*", key: ip, limit: 1000000, period: 1s}
  auto_block: {enabled: true, threshold: 20}
)";

std::unique_ptr<RateLimitStage> MakeStage(const std::string& redis_url = "") {
  std::string y = kYaml;
  if (!redis_url.empty()) y += "  redis: {url: \"" + redis_url + "\", timeout: 1s}\n";
  auto c = config::load_config_string(y, "bench.yaml", config::no_env());
  auto s = build_rate_limit(c->rate_limit, config::no_env(), nullptr);
  return std::move(s).value();
}

struct Req {
  std::string ip;
  http::Header headers[1] = {{"user-agent", "bench"}};
  http::RequestHead head;
  pipeline::RequestContext ctx;
  explicit Req(std::string client) : ip(std::move(client)) {
    head.method = "GET";
    head.target = "/api/v1/items?page=2";
    head.headers = headers;
    head.num_headers = 1;
  }
  pipeline::RequestContext& Fresh() {
    ctx.~RequestContext();
    new (&ctx) pipeline::RequestContext();
    ctx.head = &head;
    ctx.client_ip = ip;
    return ctx;
  }
};

void BM_LocalDecision(benchmark::State& state) {
  auto stage = MakeStage();
  const size_t keys = static_cast<size_t>(state.range(0));
  std::vector<Req> reqs;
  reqs.reserve(keys < 65536 ? keys : 65536);
  size_t n = keys < 65536 ? keys : 65536;
  for (size_t i = 0; i < n; ++i) {
    reqs.emplace_back("10." + std::to_string((i >> 16) & 255) + "." +
                      std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255));
  }
  size_t i = 0;
  uint64_t blocked = 0;
  for (auto _ : state) {
    Req& r = reqs[i % n];
    if (keys > n) {
      // Beyond 65,536 distinct clients: rewrite the address in place (no allocation).
      size_t k = i % keys;
      r.ip = "10." + std::to_string((k >> 16) & 255) + "." + std::to_string((k >> 8) & 255) + "." +
             std::to_string(k & 255);
    }
    pipeline::Verdict v = stage->on_request_head(r.Fresh());
    blocked += !v.is_continue();
    ++i;
  }
  state.counters["blocked"] = static_cast<double>(blocked);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LocalDecision)->Arg(1)->Arg(1000000);

// Redis: decisions through the stage's own client on a private loop.
class BenchResumer : public pipeline::Resumer {
 public:
  void resume(uint64_t, pipeline::Verdict, std::string_view) override { ++done; }
  uint64_t done = 0;
};

void BM_RedisDecision(benchmark::State& state) {
  auto url = testing::ServicesEnv("REDIS_URL");
  if (!url) {
    state.SkipWithError("no REDIS_URL: start scripts/services.sh and set PORTCULLIS_SERVICES_DIR");
    return;
  }
  auto stage = MakeStage(*url);
  event_base* base = event_base_new();
  BenchResumer resumer;
  const int depth = static_cast<int>(state.range(0));  // requests in flight (pipelining)
  std::vector<Req> reqs;
  for (int i = 0; i < depth; ++i) reqs.emplace_back("10.9.0." + std::to_string(i));
  // Warm up: connect.
  for (int k = 0; k < 50 && resumer.done == 0; ++k) {
    pipeline::RequestContext& c = reqs[0].Fresh();
    c.async = {&resumer, 1, base};
    stage->on_request_head(c);
    event_base_loop(base, EVLOOP_ONCE);
  }
  uint64_t commands_before = stage->shared().redis_stats().commands.load();
  uint64_t sent = 0;
  for (auto _ : state) {
    uint64_t target = resumer.done + static_cast<uint64_t>(depth);
    for (int i = 0; i < depth; ++i) {
      pipeline::RequestContext& c = reqs[i].Fresh();
      c.async = {&resumer, static_cast<uint64_t>(i), base};
      stage->on_request_head(c);
      ++sent;
    }
    while (resumer.done < target) event_base_loop(base, EVLOOP_ONCE);
  }
  uint64_t commands = stage->shared().redis_stats().commands.load() - commands_before;
  state.counters["round_trips_per_request"] = static_cast<double>(commands) / sent;
  state.SetItemsProcessed(static_cast<int64_t>(sent));
  redis::close_thread_clients();
  event_base_free(base);
}
BENCHMARK(BM_RedisDecision)->Arg(1)->Arg(32)->UseRealTime();

}  // namespace
}  // namespace portcullis::rate_limit
