// Audit pipeline throughput: events/s from emit() to confirmed delivery, to a file and to a TCP
// syslog collector (a loopback reader that discards), plus the cost of emit() and of encoding.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "proxy/audit/auditor.h"
#include "proxy/audit/event_json.h"

namespace portcullis::audit {
namespace {

Event Sample() {
  Event ev;
  ev.priority = Priority::kP2;
  ev.mode = Mode::kBlock;
  ev.type.set("denied");
  ev.action.set("inspection.sqli");
  ev.detector.set("sqli");
  ev.source_ip.set("203.0.113.9");
  ev.client_ip.set("198.51.100.7");
  ev.request_id.set("0f8fad5b-d9cb-469f-a165-70867728950e");
  ev.method.set("GET");
  ev.path.set("/search");
  ev.query.set("q=1' OR '1'='1");
  ev.user_agent.set("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36");
  ev.excerpt.set("1' OR '1'='1");
  ev.status = 403;
  return ev;
}

void BM_Encode(benchmark::State& st) {
  Event ev = Sample();
  ev.time_us = 1714564800123456LL;
  std::string out;
  out.reserve(4096);
  for (auto _ : st) {
    out.clear();
    encode_event(ev, out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_Encode);

// A loopback TCP server that reads and discards (stands in for a fast syslog collector).
struct Discard {
  int fd;
  uint16_t port;
  std::atomic<bool> stop{false};
  std::thread t;
  Discard() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd, 8);
    socklen_t l = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l);
    port = ntohs(a.sin_port);
    t = std::thread([this] {
      int c = accept(fd, nullptr, nullptr);
      char buf[1 << 16];
      while (read(c, buf, sizeof(buf)) > 0) {
      }
      close(c);
    });
  }
  ~Discard() {
    shutdown(fd, SHUT_RDWR);
    close(fd);
    t.detach();
  }
};

void RunPipeline(benchmark::State& st, config::AuditSinkConfig sink) {
  std::string dir = "/tmp/audit-bench-" + std::to_string(getpid());
  config::AuditConfig c;
  c.spool_dir = dir + "/spool";
  c.queue_capacity = 16384;
  if (sink.type == config::AuditSinkType::kFile) sink.path = dir + "/events.json";
  std::filesystem::create_directories(dir);
  c.sinks.push_back(sink);
  auto a = Auditor::create(c, config::no_env());
  if (!a.ok()) {
    st.SkipWithError(a.error().reason.c_str());
    return;
  }
  Event ev = Sample();
  constexpr int kBatch = 10000;
  for (auto _ : st) {
    for (int i = 0; i < kBatch; ++i) {
      while (!a.value()->emit(ev)) std::this_thread::yield();
    }
    while (!a.value()->idle()) usleep(200);
  }
  st.SetItemsProcessed(st.iterations() * kBatch);
  st.counters["queue_drops"] = static_cast<double>(a.value()->queue_dropped());
  a.value()->stop();
  std::filesystem::remove_all(dir);
}

void BM_PipelineToFile(benchmark::State& st) {
  config::AuditSinkConfig s;
  s.name = "file";
  s.type = config::AuditSinkType::kFile;
  s.rotate_bytes = 1ull << 40;
  RunPipeline(st, s);
}
BENCHMARK(BM_PipelineToFile)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PipelineToSyslogTcp(benchmark::State& st) {
  Discard d;
  config::AuditSinkConfig s;
  s.name = "syslog";
  s.type = config::AuditSinkType::kSyslogTcp;
  s.host = "127.0.0.1";
  s.port = d.port;
  s.confirm_after = std::chrono::milliseconds(0);  // measure the pipeline, not the confirm delay
  RunPipeline(st, s);
}
BENCHMARK(BM_PipelineToSyslogTcp)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace portcullis::audit
