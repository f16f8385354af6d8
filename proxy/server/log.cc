#include "proxy/server/log.h"

#include <sys/time.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace portcullis::server {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
const char* kNames[] = {"debug", "info", "warn", "error"};
}  // namespace

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level)); }

void log(LogLevel level, const char* fmt, ...) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  // One fprintf per line so concurrent workers do not interleave within a line.
  std::fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ portcullis %s: %s\n", t.tm_year + 1900,
               t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, tv.tv_usec / 1000,
               kNames[static_cast<int>(level)], msg);
}

}  // namespace portcullis::server
