--[[
  Enters a record's write section (the short mutual exclusion around "check the version, then
  write"), and reads in the same step what the writer must check: the record's lease (and passes
  back the time left of the caller's restart-quiet period, which the store keeps). A section ends on writeLeave-1, or by itself after ttlMs, so a
  writer that crashed inside frees it.

  KEYS[1] the record's write section (its value: the fence of the writer inside)
  KEYS[2] the record's write fence counter (kept a day after its last use, as the lease fences)
  KEYS[3] lease hash of the record (token, userId, userName, avatarUrl, fence, sinceMs)

  ARGV[1] ttlMs   ARGV[2] nowMs (starts a missing counter, so fences after a restart stay above earlier ones)
  ARGV[3] quietMs (what is left of the caller's restart-quiet period, 0: none)

  Returns JSON { entered = 1, fence, quietMs, lease }   entered; `lease` (as lockGet-2) when the record is held
          JSON { entered = 0, retryInMs }                another writer is inside for at most retryInMs
]]
-- @include lease

if redis.call('EXISTS', KEYS[1]) == 1 then
  local busy = redis.call('PTTL', KEYS[1])
  if busy < 1 then
    busy = 1
  end
  return cjson.encode({ entered = 0, retryInMs = busy })
end

if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], ARGV[2])
end
local fence = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], math.max(FENCE_KEEP_MS, tonumber(ARGV[1])))
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])

local quietMs = math.max(tonumber(ARGV[3]), 0)

return cjson.encode({ entered = 1, fence = fence, quietMs = quietMs, lease = leaseOf(KEYS[3]) })
