// Record: one encoded event as the sinks and the spool see it.
#pragma once

#include <cstdint>
#include <string>

namespace portcullis::audit {

struct Record {
  uint8_t priority = 3;    // 0..4 (Priority)
  int64_t created_us = 0;  // wall clock at the request start (or event time): delivery latency
  std::string json;        // one ECS JSON object, no newline
};

}  // namespace portcullis::audit
