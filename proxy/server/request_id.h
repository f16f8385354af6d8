// Request ids: an incoming X-Request-Id is kept when it is a sane token (so an edge in front of us
// can correlate), otherwise a fresh 128-bit random id is created (32 hex chars).
#pragma once

#include <cstdint>
#include <string_view>

namespace portcullis::server {

class RequestIdGenerator {
 public:
  static constexpr size_t kMaxLen = 64;
  RequestIdGenerator();  // seeded from getrandom
  // Writes a new id into buf (at least 33 bytes) and returns a view of it.
  std::string_view generate(char* buf);

 private:
  uint64_t next();
  uint64_t s_[4];
};

// An incoming id is accepted if 1..64 chars of [A-Za-z0-9._:-]: anything else could inject into
// logs or headers downstream.
bool valid_request_id(std::string_view id);

}  // namespace portcullis::server
