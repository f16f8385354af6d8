// Keyed 64-bit hash for rate-limit keys (rule id + client key -> GcraTable key).
//
// The construction is wyhash's (Wang Yi, public domain: 128-bit multiply-and-fold "mum"
// rounds), reimplemented here; it is not guaranteed bit-compatible with any wyhash release.
// Seed it with a per-process random value: the key also picks the table set, and an attacker
// who can compute keys could aim a flood of distinct keys at one set to evict a victim's bucket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::ratelimit {

uint64_t hash64(const void* data, size_t len, uint64_t seed);

inline uint64_t hash64(std::string_view s, uint64_t seed) {
  return hash64(s.data(), s.size(), seed);
}

// Key of one client under one rule: the rule id is folded into the seed, so the same client
// gets independent buckets per rule.
uint64_t ratelimit_key(uint64_t rule_id, std::string_view client_key, uint64_t seed);

// A bijective 64-bit finaliser (SplitMix64/murmur3 fmix style) for spreading integer keys.
uint64_t mix64(uint64_t x);

}  // namespace portcullis::ratelimit
