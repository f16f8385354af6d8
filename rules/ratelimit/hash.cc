#include "rules/ratelimit/hash.h"

#include <cstring>

namespace portcullis::ratelimit {
namespace {

constexpr uint64_t kS0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kS1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kS2 = 0x8ebc6af09c88c6e3ULL;
constexpr uint64_t kS3 = 0x589965cc75374cc3ULL;

void mum(uint64_t* a, uint64_t* b) {
  __uint128_t r = static_cast<__uint128_t>(*a) * *b;
  *a = static_cast<uint64_t>(r);
  *b = static_cast<uint64_t>(r >> 64);
}

uint64_t mix(uint64_t a, uint64_t b) {
  mum(&a, &b);
  return a ^ b;
}

// Little-endian reads regardless of host order, so keys are stable across machines.
uint64_t r8(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t r4(const uint8_t* p) {
  return uint64_t{p[0]} | (uint64_t{p[1]} << 8) | (uint64_t{p[2]} << 16) | (uint64_t{p[3]} << 24);
}

uint64_t r3(const uint8_t* p, size_t k) {
  return (uint64_t{p[0]} << 16) | (uint64_t{p[k >> 1]} << 8) | p[k - 1];
}

}  // namespace

uint64_t hash64(const void* data, size_t len, uint64_t seed) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  seed ^= mix(seed ^ kS0, kS1);
  uint64_t a = 0, b = 0;
  if (len <= 16) {
    if (len >= 4) {
      a = (r4(p) << 32) | r4(p + ((len >> 3) << 2));
      b = (r4(p + len - 4) << 32) | r4(p + len - 4 - ((len >> 3) << 2));
    } else if (len > 0) {
      a = r3(p, len);
    }
  } else {
    size_t i = len;
    if (i > 48) {
      uint64_t see1 = seed, see2 = seed;
      do {
        seed = mix(r8(p) ^ kS1, r8(p + 8) ^ seed);
        see1 = mix(r8(p + 16) ^ kS2, r8(p + 24) ^ see1);
        see2 = mix(r8(p + 32) ^ kS3, r8(p + 40) ^ see2);
        p += 48;
        i -= 48;
      } while (i > 48);
      seed ^= see1 ^ see2;
    }
    while (i > 16) {
      seed = mix(r8(p) ^ kS1, r8(p + 8) ^ seed);
      i -= 16;
      p += 16;
    }
    a = r8(p + i - 16);
    b = r8(p + i - 8);
  }
  a ^= kS1;
  b ^= seed;
  mum(&a, &b);
  return mix(a ^ kS0 ^ len, b ^ kS1);
}

uint64_t ratelimit_key(uint64_t rule_id, std::string_view client_key, uint64_t seed) {
  return hash64(client_key, mix(seed ^ kS2, rule_id ^ kS3));
}

uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace portcullis::ratelimit
