// Throughput of detect_xss / detect_generic on typical benign and attack inputs.
#include <benchmark/benchmark.h>

#include <string>

#include "rules/generic/generic_detector.h"
#include "rules/xss/xss_detector.h"

namespace {

const std::string kProse =
    "It's a truth universally acknowledged that a single man in possession of a good fortune, "
    "must be in want of a wife. <Knghtbrd> a < b and c > d, I <3 you; email <john@example.com>";
const std::string kXss = "\"><img src=x onerror=alert(document.cookie)>";
const std::string kSsti = "{{ ''.__class__.__mro__[2].__subclasses__() }}";
const std::string kLong = std::string(16384, 'a') + " <b>bold</b> " + std::string(16384, 'z');

void BM_XssProse(benchmark::State& s) {
  for (auto _ : s) benchmark::DoNotOptimize(portcullis::rules::detect_xss(kProse));
  s.SetBytesProcessed(s.iterations() * kProse.size());
}
void BM_XssAttack(benchmark::State& s) {
  for (auto _ : s) benchmark::DoNotOptimize(portcullis::rules::detect_xss(kXss));
  s.SetBytesProcessed(s.iterations() * kXss.size());
}
void BM_XssLong(benchmark::State& s) {
  for (auto _ : s) benchmark::DoNotOptimize(portcullis::rules::detect_xss(kLong));
  s.SetBytesProcessed(s.iterations() * kLong.size());
}
void BM_GenericProse(benchmark::State& s) {
  for (auto _ : s) benchmark::DoNotOptimize(portcullis::rules::detect_generic(kProse));
  s.SetBytesProcessed(s.iterations() * kProse.size());
}
void BM_GenericSsti(benchmark::State& s) {
  for (auto _ : s) benchmark::DoNotOptimize(portcullis::rules::detect_generic(kSsti));
  s.SetBytesProcessed(s.iterations() * kSsti.size());
}
void BM_GenericLong(benchmark::State& s) {
  for (auto _ : s) benchmark::DoNotOptimize(portcullis::rules::detect_generic(kLong));
  s.SetBytesProcessed(s.iterations() * kLong.size());
}

}  // namespace

BENCHMARK(BM_XssProse);
BENCHMARK(BM_XssAttack);
BENCHMARK(BM_XssLong);
BENCHMARK(BM_GenericProse);
BENCHMARK(BM_GenericSsti);
BENCHMARK(BM_GenericLong);
