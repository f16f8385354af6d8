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

// KEYS[1] block key, KEYS[2] strike key, KEYS[3..] one GCRA key per matched rule.
// ARGV[1] auto-block on (0|1), ARGV[2] this request is a scanner strike (0|1), ARGV[3] threshold,
// ARGV[4] window ms, ARGV[5] block ms; then per rule: T us, C us (= (limit+burst)*T), monitor.
// Returns {-2, ttl_ms}: blocked, and this request announces the block (one per block)
//         {-1, ttl_ms}: blocked
//         {i, retry_us, reset_us}: refused by the i-th (1-based) rule; no bucket changed
//         {0, m}: allowed; every bucket charged (m > 0: monitor rule m would have refused)
extern const std::string_view kDecideScript;

// KEYS[1] block key, KEYS[2] strike key; ARGV[1] threshold, ARGV[2] window ms, ARGV[3] block ms.
// Returns 1 when this strike started a block (value "1": the next refused request announces).
extern const std::string_view kStrikeScript;

}  // namespace portcullis::rate_limit
