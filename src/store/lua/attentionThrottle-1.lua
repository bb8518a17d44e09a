--[[
  A rate limit: starts an interval for the key unless one runs. Check and start are one step, so
  of any number of concurrent callers exactly one gets 0.

  KEYS[1] the interval's key (its value is irrelevant, its expiry is the end of the interval)

  ARGV[1] intervalMs

  Returns 0 started (the request may go)
          n > 0: the ms left of the running interval
]]
if redis.call('SET', KEYS[1], 1, 'NX', 'PX', ARGV[1]) then
  return 0
end
local left = redis.call('PTTL', KEYS[1])
if left > 0 then
  return left
end
-- 0: ending this very millisecond; -1: a key without expiry that we did not write. Either way no
-- interval runs any more: start one.
redis.call('SET', KEYS[1], 1, 'PX', ARGV[1])
return 0
