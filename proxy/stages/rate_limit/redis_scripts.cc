#include "proxy/stages/rate_limit/redis_scripts.h"

namespace portcullis::rate_limit {

const std::string_view kDecideScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if ARGV[1] == '1' then
  local b = redis.call('GET', KEYS[1])
  if b then
    local ttl = redis.call('PTTL', KEYS[1])
    if b == '1' then
      redis.call('SET', KEYS[1], '2', 'KEEPTTL')
      return {-2, ttl}
    end
    return {-1, ttl}
  end
  if ARGV[2] == '1' then
    local n = redis.call('INCR', KEYS[2])
    if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
    if n >= tonumber(ARGV[3]) then
      redis.call('SET', KEYS[1], '2', 'PX', ARGV[5])
      redis.call('DEL', KEYS[2])
      return {-2, tonumber(ARGV[5])}
    end
  end
end
local tats = {}
local monitored = 0
for i = 3, #KEYS do
  local a = 5 + (i - 2) * 3
  local T = tonumber(ARGV[a - 2])
  local C = tonumber(ARGV[a - 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local new = tat + T
  if new - now > C then
    if ARGV[a] == '1' then
      if monitored == 0 then monitored = i - 2 end
      tats[i] = false
    else
      return {i - 2, math.ceil(new - now - C), math.ceil(tat - now)}
    end
  else
    tats[i] = new
  end
end
for i = 3, #KEYS do
  if tats[i] then
    redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX',
               math.ceil((tats[i] - now) / 1000) + 1)
  end
end
return {0, monitored}
)lua";

const std::string_view kStrikeScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
)lua";

}  // namespace portcullis::rate_limit
