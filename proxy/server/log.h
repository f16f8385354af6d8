// Minimal operator log to stderr (one line per message, timestamped). Operational messages only:
// security decisions go to the audit stream, not here.
#pragma once

#include <cstdarg>

namespace portcullis::server {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
void set_log_level(LogLevel level);
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define PLOG_INFO(...) ::portcullis::server::log(::portcullis::server::LogLevel::kInfo, __VA_ARGS__)
#define PLOG_WARN(...) ::portcullis::server::log(::portcullis::server::LogLevel::kWarn, __VA_ARGS__)
#define PLOG_ERROR(...) \
  ::portcullis::server::log(::portcullis::server::LogLevel::kError, __VA_ARGS__)
#define PLOG_DEBUG(...) \
  ::portcullis::server::log(::portcullis::server::LogLevel::kDebug, __VA_ARGS__)

}  // namespace portcullis::server
