// Whole inspection of a typical request: 10 query parameters in the head, then a 1 KiB JSON body,
// through the InspectionStage exactly as the pipeline calls it.
#include <benchmark/benchmark.h>

#include <string>

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
  const std::string raw =
      "POST /api/orders?page=2&sort=desc&q=red+shoes&lang=en&utm_source=news&utm_medium=email"
      "&ref=home&size=42&color=red&session=abc123 HTTP/1.1\r\nHost: shop.example\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\nReferer: "
      "https://shop.example/\r\n"
      "Cookie: sid=0123456789abcdef; theme=dark\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  portcullis::http::Header headers[32];
  portcullis::http::RequestHead head;
  portcullis::http::ParseError err;
  portcullis::http::ParseLimits limits;
  if (portcullis::http::parse_request(raw, limits, headers, 32, head, err) !=
      portcullis::http::ParseStatus::kComplete) {
    state.SkipWithError("parse");
    return;
  }
  auto stage = portcullis::stages::InspectionStage::create({});
  std::string_view b = std::string_view(raw).substr(head.head_bytes);
  for (auto _ : state) {
    portcullis::pipeline::RequestContext ctx;
    ctx.head = &head;
    auto v1 = (*stage)->on_request_head(ctx);
    auto v2 = (*stage)->on_body_chunk(ctx, b, true);
    benchmark::DoNotOptimize(v1);
    benchmark::DoNotOptimize(v2);
    if (ctx.total_detections != 0) state.SkipWithError("benign request flagged");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InspectTypicalRequest);

}  // namespace
