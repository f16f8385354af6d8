// Whole inspection of a typical request: 10 query parameters in the head, then a 1 KiB JSON body,
// through the InspectionStage exactly as the pipeline calls it.
#include <benchmark/benchmark.h>

#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

#include "bench/inspection/parsed_request.h"
#include "proxy/http/request_parser.h"
#include "proxy/stages/inspection/inspection_stage.h"

namespace {

std::string json_body() {
  std::string b =
      R"({"user":{"name":"Ada Lovelace","email":"ada@example.com","roles":["admin","dev"]},)"
      R"("comment":"Don't forget: the meeting moved to 3pm, bring O'Reilly's book.","items":[)";
  for (int i = 0; b.size() < 1000; ++i) {
    b += (i ? "," : "") + std::string(R"({"sku":"A-)") + std::to_string(i) +
         R"(","qty":2,"note":"gift wrap please"})";
  }
  return b + "]}";
}

void BM_InspectTypicalRequest(benchmark::State& state) {
  const std::string body = json_body();
  const portcullis::bench::ParsedRequest req(
      "POST /api/orders?page=2&sort=desc&q=red+shoes&lang=en&utm_source=news&utm_medium=email"
      "&ref=home&size=42&color=red&session=abc123 HTTP/1.1\r\nHost: shop.example\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\nReferer: "
      "https://shop.example/\r\n"
      "Cookie: sid=0123456789abcdef; theme=dark\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  if (!req.ok) {
    state.SkipWithError("parse");
    return;
  }
  auto stage = portcullis::stages::InspectionStage::create({});
  const std::string_view b = req.body();
  for (auto _ : state) {
    portcullis::pipeline::RequestContext ctx;
    ctx.head = &req.head;
    auto v1 = (*stage)->on_request_head(ctx);
    auto v2 = (*stage)->on_body_chunk(ctx, b, true);
    benchmark::DoNotOptimize(v1);
    benchmark::DoNotOptimize(v2);
    if (ctx.total_detections != 0) state.SkipWithError("benign request flagged");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * req.raw.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InspectTypicalRequest);

// The requests of bench/compare, one benchmark each: its "+mix" rows (GET with a query, POST
// form, POST JSON, in turn) and the browser GET of its plain rows. Same headers as wrk sends.
constexpr const char* kMixCommon =
    "Host: shop.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0\r\n"
    "Accept: */*\r\nAccept-Language: en-US,en;q=0.9\r\nCookie: session=3f2a9c1e7b6d4a58; "
    "theme=dark\r\n";

std::string with_body(const std::string& line, const std::string& type, const std::string& body) {
  return line + kMixCommon + "Content-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string mix_request(int which) {
  switch (which) {
    case 0:
      return std::string(
                 "GET /search/results?q=blue+shoes&page=2&sort=price&lang=en&size=42&color=navy"
                 "&brand=acme&min=10&max=99&ref=home HTTP/1.1\r\n") +
             kMixCommon + "\r\n";
    case 1:
      return with_body("POST /reviews HTTP/1.1\r\n", "application/x-www-form-urlencoded",
                       "name=Jane+Doe&email=jane%40example.com&comment=Great+shoes%2C+would+buy+"
                       "again%21&rating=5");
    case 2:
      return with_body(
          "POST /api/orders HTTP/1.1\r\n", "application/json",
          R"({"user":{"name":"Jane Doe","email":"jane@example.com","tags":["shoes","blue"],)"
          R"("address":{"street":"12 Main St","city":"Springfield"}},"items":[{"sku":"A-100",)"
          R"("qty":2},{"sku":"B-7","qty":1}],"note":"Leave at the door, thanks!"})");
    default:
      return "GET /search/results?q=blue+shoes&page=2&sort=price&lang=en HTTP/1.1\r\n"
             "Host: shop.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
             "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\r\n"
             "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
             "Accept-Language: en-US,en;q=0.9,de;q=0.7\r\n"
             "Cookie: session=3f2a9c1e7b6d4a58; theme=dark; consent=yes\r\n\r\n";
  }
}

void inspect_requests(benchmark::State& state, std::initializer_list<int> which) {
  std::deque<portcullis::bench::ParsedRequest> reqs;  // deque: elements never move
  for (int w : which) {
    if (!reqs.emplace_back(mix_request(w)).ok) {
      state.SkipWithError("parse");
      return;
    }
  }
  auto stage = portcullis::stages::InspectionStage::create({});
  for (auto _ : state) {
    for (const portcullis::bench::ParsedRequest& req : reqs) {
      portcullis::pipeline::RequestContext ctx;
      ctx.head = &req.head;
      auto v1 = (*stage)->on_request_head(ctx);
      benchmark::DoNotOptimize(v1);
      std::string_view body = req.body();
      if (!body.empty()) {
        auto v2 = (*stage)->on_body_chunk(ctx, body, true);
        benchmark::DoNotOptimize(v2);
      }
      if (ctx.total_detections != 0) state.SkipWithError("benign request flagged");
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * reqs.size()));
}

// Per-request time of the compare "+mix" rows: CPU time / 3.
void BM_InspectCompareMix(benchmark::State& state) { inspect_requests(state, {0, 1, 2}); }
BENCHMARK(BM_InspectCompareMix);
void BM_InspectCompareMixGet(benchmark::State& state) { inspect_requests(state, {0}); }
BENCHMARK(BM_InspectCompareMixGet);
void BM_InspectCompareMixForm(benchmark::State& state) { inspect_requests(state, {1}); }
BENCHMARK(BM_InspectCompareMixForm);
void BM_InspectCompareMixJson(benchmark::State& state) { inspect_requests(state, {2}); }
BENCHMARK(BM_InspectCompareMixJson);
void BM_InspectCompareBrowserGet(benchmark::State& state) { inspect_requests(state, {3}); }
BENCHMARK(BM_InspectCompareBrowserGet);

// The browser GET with a User-Agent the engine has not seen recently (1,024 builds in turn):
// header values are remembered as clean across requests (rules/inspect/engine.h), so the row
// above measures a repeat visitor and this one the full cost of a new user agent.
void BM_InspectCompareBrowserGetNewUserAgent(benchmark::State& state) {
  constexpr int kAgents = 1024;
  std::deque<portcullis::bench::ParsedRequest> reqs;  // deque: elements never move
  const std::string base = mix_request(3);
  const size_t at = base.find("Chrome/124.0");
  for (int i = 0; i < kAgents; ++i) {
    if (!reqs.emplace_back(base.substr(0, at) + "Chrome/124.0." + std::to_string(i) +
                           base.substr(at + 12))
             .ok) {
      state.SkipWithError("parse");
      return;
    }
  }
  auto stage = portcullis::stages::InspectionStage::create({});
  int i = 0;
  for (auto _ : state) {
    portcullis::pipeline::RequestContext ctx;
    ctx.head = &reqs[i].head;
    auto v = (*stage)->on_request_head(ctx);
    benchmark::DoNotOptimize(v);
    if (ctx.total_detections != 0) state.SkipWithError("benign request flagged");
    i = (i + 1) % kAgents;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_InspectCompareBrowserGetNewUserAgent);

}  // namespace
