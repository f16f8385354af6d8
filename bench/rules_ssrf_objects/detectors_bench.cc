// Micro benchmarks of each detector on typical benign and attack inputs (bytes/s and ns/call).
#include <benchmark/benchmark.h>

#include <string>

#include "rules/objects/bracket_key.h"
#include "rules/objects/nosql_detector.h"
#include "rules/objects/proto_detector.h"
#include "rules/ssrf/ssrf_detector.h"

namespace {

using namespace portcullis::rules;

const std::string kProse =
    "It's the version 10.0.1 release; see https://example.com/notes?id=42 for what's new, and "
    "don't forget: prices start at $5 (US$7 with tax) for \"pro\" users.";

template <typename F>
void run(benchmark::State& state, const std::string& input, F f) {
  for (auto _ : state) {
    auto r = f(input);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

void BM_Ssrf_Prose(benchmark::State& s) { run(s, kProse, detect_ssrf); }
void BM_Ssrf_PublicUrl(benchmark::State& s) {
  run(s, "https://www.example.com/search?q=portcullis&page=2", detect_ssrf);
}
void BM_Ssrf_ObfuscatedMetadata(benchmark::State& s) {
  run(s, "http://evil.com#@0251.0376.0251.0376/latest/meta-data/", detect_ssrf);
}
void BM_Ssrf_Ipv6Mapped(benchmark::State& s) {
  run(s, "http://[0:0:0:0:0:ffff:7f00:1]:8080/admin", detect_ssrf);
}
void BM_Ssrf_LongText4k(benchmark::State& s) {
  std::string t;
  while (t.size() < 4096) t += kProse;
  run(s, t, detect_ssrf);
}

void BM_NosqlKey(benchmark::State& s) {
  run(s, "$elemMatch", [](std::string_view k) { return detect_nosql_key(k); });
}
void BM_NosqlValue_Prose(benchmark::State& s) { run(s, kProse, detect_nosql_value); }
void BM_NosqlValue_Json(benchmark::State& s) {
  run(s, R"({"username": {"$ne": null}, "password": {"$ne": null}})", detect_nosql_value);
}
void BM_NosqlValue_WhereJs(benchmark::State& s) {
  run(s, "' && this.password.match(/.*/)//", detect_nosql_value);
}

void BM_ProtoValue_Prose(benchmark::State& s) { run(s, kProse, detect_proto_value); }
void BM_ProtoValue_Json(benchmark::State& s) {
  run(s, R"({"constructor":{"prototype":{"isAdmin":true}}})", detect_proto_value);
}
void BM_ProtoPath_BracketKey(benchmark::State& s) {
  run(s, "user[profile][settings][__proto__][isAdmin]", [](std::string_view k) {
    BracketKey b = parse_bracket_key(k);
    return detect_proto_path(b.view());
  });
}
void BM_BracketKey_Parse(benchmark::State& s) {
  run(s, "login[$nin][]", [](std::string_view k) { return parse_bracket_key(k).count; });
}

BENCHMARK(BM_Ssrf_Prose);
BENCHMARK(BM_Ssrf_PublicUrl);
BENCHMARK(BM_Ssrf_ObfuscatedMetadata);
BENCHMARK(BM_Ssrf_Ipv6Mapped);
BENCHMARK(BM_Ssrf_LongText4k);
BENCHMARK(BM_NosqlKey);
BENCHMARK(BM_NosqlValue_Prose);
BENCHMARK(BM_NosqlValue_Json);
BENCHMARK(BM_NosqlValue_WhereJs);
BENCHMARK(BM_ProtoValue_Prose);
BENCHMARK(BM_ProtoValue_Json);
BENCHMARK(BM_ProtoPath_BracketKey);
BENCHMARK(BM_BracketKey_Parse);

}  // namespace
