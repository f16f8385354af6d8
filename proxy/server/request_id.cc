#include "proxy/server/request_id.h"

#include <sys/random.h>

#include <chrono>

namespace portcullis::server {

RequestIdGenerator::RequestIdGenerator() {
  if (getrandom(s_, sizeof(s_), 0) != sizeof(s_)) {
    uint64_t t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (int i = 0; i < 4; ++i) s_[i] = t * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(i);
  }
}

// xoshiro256**: fast, per-worker state, no locking. Ids need uniqueness, not secrecy.
uint64_t RequestIdGenerator::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::string_view RequestIdGenerator::generate(char* buf) {
  static const char kHex[] = "0123456789abcdef";
  uint64_t a = next(), b = next();
  for (int i = 0; i < 16; ++i) {
    buf[i] = kHex[(a >> (60 - 4 * i)) & 0xF];
    buf[16 + i] = kHex[(b >> (60 - 4 * i)) & 0xF];
  }
  buf[32] = '\0';
  return {buf, 32};
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > RequestIdGenerator::kMaxLen) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace portcullis::server
