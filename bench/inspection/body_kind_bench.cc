// Body extraction + inspection cost by body kind: the same ~2 KiB order (customer, address,
// 12 line items with notes) as JSON and as a SOAP 1.1 envelope, through InspectionStage's
// on_body_chunk exactly as the pipeline calls it. Read the two rows as a ratio from one run.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/inspection/parsed_request.h"
#include "proxy/stages/inspection/inspection_stage.h"

namespace {

constexpr size_t kTargetBytes = 2048;

std::string json_order() {
  std::string b =
      R"({"customer":{"id":"C-10042","name":"Patrick O'Brien","email":"pob@example.com"},)"
      R"("address":{"street":"12 Rue de l'Eglise","city":"Paris","country":"FR"},"items":[)";
  for (int i = 0; b.size() < kTargetBytes - 80; ++i) {
    b += (i ? "," : "") + std::string(R"({"sku":"A-)") + std::to_string(100 + i) +
         R"(","qty":2,"note":"gift wrap please, no price tag"})";
  }
  return b + R"(],"comment":"Leave at the door, thanks!"})";
}

std::string soap_order() {
  std::string b =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<soap:Body><m:PlaceOrder xmlns:m=\"http://example.com/orders\">"
      "<m:Customer id=\"C-10042\"><m:Name>Patrick O'Brien</m:Name>"
      "<m:Email>pob@example.com</m:Email></m:Customer>"
      "<m:Address><m:Street>12 Rue de l'Eglise</m:Street><m:City>Paris</m:City>"
      "<m:Country>FR</m:Country></m:Address><m:Items>";
  for (int i = 0; b.size() < kTargetBytes - 140; ++i) {
    b += "<m:Item sku=\"A-" + std::to_string(100 + i) +
         "\" qty=\"2\"><m:Note>gift wrap please, no price tag</m:Note></m:Item>";
  }
  return b +
         "</m:Items><m:Comment>Leave at the door, thanks!</m:Comment></m:PlaceOrder>"
         "</soap:Body></soap:Envelope>";
}

// state.range(0): 0 = JSON, 1 = SOAP XML.
void BM_InspectOrderBody(benchmark::State& state) {
  const bool xml = state.range(0) == 1;
  const std::string body = xml ? soap_order() : json_order();
  const portcullis::bench::ParsedRequest req(
      std::string("POST /api/orders HTTP/1.1\r\nHost: shop.example\r\n") +
      "Content-Type: " + (xml ? "text/xml; charset=utf-8" : "application/json") +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  if (!req.ok) {
    state.SkipWithError("parse");
    return;
  }
  auto stage = portcullis::stages::InspectionStage::create({});
  const std::string_view b = req.body();
  for (auto _ : state) {
    portcullis::pipeline::RequestContext ctx;
    ctx.head = &req.head;
    auto v = (*stage)->on_body_chunk(ctx, b, true);
    benchmark::DoNotOptimize(v);
    if (ctx.total_detections != 0) state.SkipWithError("benign body flagged");
  }
  state.SetLabel(std::string(xml ? "soap " : "json ") + std::to_string(body.size()) + " B");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_InspectOrderBody)->Arg(0)->Arg(1);

// Extraction alone (a sink that only counts): the parser's share of the row above.
void BM_ExtractOrderBody(benchmark::State& state) {
  const bool xml = state.range(0) == 1;
  const std::string body = xml ? soap_order() : json_order();
  const auto type =
      portcullis::rules::classify_body(xml ? "text/xml; charset=utf-8" : "application/json");
  class Count : public portcullis::rules::InputSink {
   public:
    bool on_input(const portcullis::rules::Input& in) override {
      bytes += in.raw.size();
      return true;
    }
    size_t bytes = 0;
  } sink;
  portcullis::rules::Extractor x;
  for (auto _ : state) {
    x.reset({});
    auto r = x.body(type, body, false, sink);
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(std::string(xml ? "soap " : "json ") + std::to_string(x.inputs()) + " inputs");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ExtractOrderBody)->Arg(0)->Arg(1);

}  // namespace
