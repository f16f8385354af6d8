// Throughput of detect_sqli on benign and attack inputs.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "rules/sqli/sqli_detector.h"

namespace {

const std::vector<std::string>& benign() {
  static const std::vector<std::string> v = {
      "O'Reilly's book",
      "john.smith@example.com",
      "I'd like to order by phone, don't select that",
      "Tom & Jerry; the sequel",
      "12345",
      "best union select deals",
      "$19.99",
      "2024-01-31",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
      "{\"name\":\"widget\",\"qty\":3}",
      "The quick brown fox jumps over the lazy dog. It's a classic pangram, isn't it?",
  };
  return v;
}

const std::vector<std::string>& attacks() {
  static const std::vector<std::string> v = {
      "' OR 1=1--",
      "1 UNION SELECT username, password FROM users--",
      "1'; DROP TABLE users; --",
      "' AND SLEEP(5)#",
      "admin'--",
      "-8 union select 1,2,concat(version(),0x3a,database(),0x3a,user()),4,5/*",
      "'; exec master..xp_cmdshell 'ping 10.0.0.1'--",
      "1 AND extractvalue(1,concat(0x7e,(select @@version)))",
  };
  return v;
}

void run(benchmark::State& state, const std::vector<std::string>& inputs) {
  size_t bytes = 0;
  size_t hits = 0;
  for (auto _ : state) {
    for (const std::string& in : inputs) {
      auto r = portcullis::rules::detect_sqli(in);
      hits += r.has_value();
      bytes += in.size();
    }
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * inputs.size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_DetectSqliBenign(benchmark::State& state) { run(state, benign()); }
void BM_DetectSqliAttack(benchmark::State& state) { run(state, attacks()); }

void BM_DetectSqliLongBenign(benchmark::State& state) {
  std::string s;
  while (s.size() < 4096)
    s += "It's a long comment, isn't it? Prices from $5 & up; see you (soon). ";
  std::vector<std::string> v = {s};
  run(state, v);
}

}  // namespace

BENCHMARK(BM_DetectSqliBenign);
BENCHMARK(BM_DetectSqliAttack);
BENCHMARK(BM_DetectSqliLongBenign);
