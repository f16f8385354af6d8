// Custom rules on a typical request (10 query parameters, a few headers and cookies, a 1 KiB JSON
// body) through the CustomRulesStage exactly as the pipeline calls it, with a 20-rule set that
// reads every location (the 4 shipped rules + 16 generic ones); nothing matches, so every rule
// runs on every input it reads (the worst case for a benign request). Also: the ReDoS rule on a
// hostile input, to show what one limit hit costs.
#include <benchmark/benchmark.h>

#include <string>

#include "proxy/http/request_parser.h"
#include "proxy/stages/custom_rules/custom_rules_stage.h"
#include "rules/custom/evaluator.h"
#include "rules/custom/rule_file.h"

namespace {

using portcullis::rules::custom::RuleSet;

constexpr const char* kExtraRules = R"(rules:
  - {id: b01, inputs: [query], transforms: [url_decode, lowercase], pattern: '<\s*script\b', action: block}
  - {id: b02, inputs: [query], transforms: [url_decode], pattern: '\.\./\.\./', action: block}
  - {id: b03, inputs: [query, body], transforms: [url_decode, lowercase, compress_whitespace], pattern: '\bsleep\s*\(\s*\d+\s*\)', action: block}
  - {id: b04, inputs: ["query:redirect*", "query:next", "query:url"], transforms: [url_decode, lowercase], pattern: '^(?:https?:)?//(?!shop\.example/)', action: block}
  - {id: b05, inputs: [cookies], pattern: '[\x00-\x08\x0e-\x1f]', action: block}
  - {id: b06, inputs: ["header:user-agent"], transforms: [lowercase], pattern: '(?:python-requests|go-http-client|curl)/', action: monitor}
  - {id: b07, inputs: [path], transforms: [url_decode, normalize_path, lowercase], pattern: '\.(?:php|asp|aspx|jsp|cgi)$', action: block}
  - {id: b08, inputs: ["body.json:*"], transforms: [lowercase], pattern: '\b(?:drop|truncate)\s+table\b', action: block}
  - {id: b09, inputs: ["body.json:user.email"], pattern: '^[^@\s]+@[^@\s]+\.[a-z]{2,}$', action: allow, priority: 200}
  - {id: b10, inputs: [query, body], transforms: [url_decode, html_decode, lowercase], pattern: 'javascript\s*:', action: block}
  - {id: b11, inputs: ["*"], transforms: [remove_nulls, lowercase], pattern: 'eval\s*\(\s*(?:atob|unescape|string\.fromcharcode)', action: block}
  - {id: b12, inputs: [headers], pattern: '[\r\n]', action: block}
  - {id: b13, inputs: [query], transforms: [url_decode, lowercase], pattern: '\b(?:wget|curl)\s+https?://', action: block}
  - {id: b14, inputs: ["body.json:items[*].note"], transforms: [lowercase], pattern: '(?:free\s+money|viagra)', action: monitor}
  - {id: b15, inputs: [query], pattern: '(?:%25){2,}', action: monitor}
  - {id: b16, inputs: [body, query], transforms: [url_decode, lowercase], pattern: 'php://(?:filter|input)', action: block}
)";

std::shared_ptr<const RuleSet> twenty_rules() {
  std::vector<std::string> paths{std::string(PORTCULLIS_SOURCE_DIR) + "/rules/custom-rules"};
  auto specs = portcullis::rules::custom::load_rule_paths(paths);
  auto extra = portcullis::rules::custom::parse_rule_file(kExtraRules, "bench.yaml");
  if (!specs.ok() || !extra.ok()) return nullptr;
  for (auto& s : *extra) specs->push_back(std::move(s));
  auto set = RuleSet::build(std::move(specs).value());
  return set.ok() ? *set : nullptr;
}

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

struct Typical {
  Typical() {
    body = json_body();
    raw =
        "POST /api/orders?page=2&sort=desc&q=red+shoes&lang=en&utm_source=news&utm_medium=email"
        "&ref=home&size=42&color=red&session=abc123 HTTP/1.1\r\nHost: shop.example\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\nReferer: "
        "https://shop.example/\r\nAccept: application/json\r\nAccept-Language: en-US,en;q=0.8\r\n"
        "Cookie: sid=0123456789abcdef; theme=dark\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    portcullis::http::ParseError err;
    portcullis::http::ParseLimits limits;
    ok = portcullis::http::parse_request(raw, limits, headers, 32, head, err) ==
         portcullis::http::ParseStatus::kComplete;
  }
  std::string body, raw;
  portcullis::http::Header headers[32];
  portcullis::http::RequestHead head;
  bool ok = false;
};

void BM_CustomRules20TypicalRequest(benchmark::State& state) {
  Typical t;
  auto set = twenty_rules();
  if (!t.ok || set == nullptr || set->size() != 20) {
    state.SkipWithError("setup");
    return;
  }
  portcullis::config::CustomRulesConfig cfg;
  cfg.files = {"bench"};
  auto stage = portcullis::stages::CustomRulesStage::create(cfg, set);
  std::string_view b = std::string_view(t.raw).substr(t.head.head_bytes);
  for (auto _ : state) {
    portcullis::pipeline::RequestContext ctx;
    ctx.head = &t.head;
    auto v1 = stage->on_request_head(ctx);
    auto v2 = stage->on_body_chunk(ctx, b, stage->wants_body(ctx) > 0);
    benchmark::DoNotOptimize(v1);
    benchmark::DoNotOptimize(v2);
    if (ctx.total_detections != 0) state.SkipWithError("benign request flagged");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * t.raw.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CustomRules20TypicalRequest);

// The same request without the body (GET): head inputs only.
void BM_CustomRules20TypicalGet(benchmark::State& state) {
  Typical t;
  auto set = twenty_rules();
  if (!t.ok || set == nullptr) {
    state.SkipWithError("setup");
    return;
  }
  t.head.framing = portcullis::http::BodyFraming::kNone;
  portcullis::config::CustomRulesConfig cfg;
  auto stage = portcullis::stages::CustomRulesStage::create(cfg, set);
  for (auto _ : state) {
    portcullis::pipeline::RequestContext ctx;
    ctx.head = &t.head;
    benchmark::DoNotOptimize(stage->on_request_head(ctx));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CustomRules20TypicalGet);

// One match of the ReDoS rule against 7,000 'a' and a '!': the cost of a limit hit.
void BM_RedosLimitHit(benchmark::State& state) {
  auto specs = portcullis::rules::custom::parse_rule_file(
      "rules:\n  - {id: redos, inputs: [query], pattern: '(a+)+$', action: block}\n", "b.yaml");
  auto set = RuleSet::build(std::move(specs).value());
  const std::string evil = std::string(7000, 'a') + "!";
  size_t off = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize((*set)->match(0, evil, &off));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RedosLimitHit);

}  // namespace
