// The two server-side Lua scripts of the shared (Redis) mode. Each decision is ONE script call,
// so it is atomic on the Redis server however many Portcullis instances share it, and calls from
// one worker are pipelined on its connection. Times come from Redis' own clock (TIME), so the
// instances' clocks need not agree. Keys (no hash tags: Redis Cluster is not supported):
//   <prefix>:ab:<client>             auto-block; value "1" = not announced yet, "2" = announced
//   <prefix>:st:<client>             strike counter (INCR, PEXPIRE window)
//   <prefix>:rl:<rule>:<hash hex>    GCRA theoretical arrival time, microseconds (PX = reset)
#pragma once

#include <string_view>

namespace portcullis::rate_limit {

// A BATCH of decisions, every one exactly as if it ran alone and in order (the batch is atomic):
// all decisions a worker issues in one loop turn share one EVALSHA, so Redis runs one script
// call instead of one per request (its Lua call overhead dominated its CPU per decision).
// ARGV[1] n decisions, ARGV[2] auto-block on (0|1), ARGV[3] threshold, ARGV[4] window ms,
// ARGV[5] block ms, ARGV[6] R rules, then per rule: T us, C us (= (limit+burst)*T), monitor (0|1);
// then per decision: scanner strike (0|1), m rules charged, the m rule numbers (1-based).
// KEYS per decision, in order: (auto-block on) block key, strike key; then its m GCRA keys.
// Returns 3 integers per decision:
//   {-2, ttl_ms, 0}: blocked, and this request announces the block (one per block)
//   {-1, ttl_ms, 0}: blocked
//   {i, retry_us, reset_us}: refused by its i-th (1-based) rule; no bucket changed
//   {0, m, 0}: allowed; every bucket charged (m > 0: its rule m is in monitor mode and would have
//   refused)
extern const std::string_view kDecideScript;

// KEYS[1] block key, KEYS[2] strike key; ARGV[1] threshold, ARGV[2] window ms, ARGV[3] block ms.
// Returns 1 when this strike started a block (value "1": the next refused request announces).
extern const std::string_view kStrikeScript;

}  // namespace portcullis::rate_limit
