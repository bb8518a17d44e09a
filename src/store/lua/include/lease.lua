--[[
  Shared by the lock scripts: the loader puts this file in place of their `-- @include lease` line.
  Expects `lease` (the record's lease hash key) to be defined before the include.
]]

-- { code, pttl, token, userId, userName, avatarUrl, fence, sinceMs } of the lease as it now is.
local function leaseReply(code)
  return { code, redis.call('PTTL', lease),
    unpack(redis.call('HMGET', lease, 'token', 'userId', 'userName', 'avatarUrl', 'fence', 'sinceMs')) }
end

-- Writes a new lease with the next fence. A missing counter (first use, or Redis restarted without
-- persistence) starts at the clock, so a fence granted after a restart is above every earlier one.
-- DEL first: a previous holder's avatarUrl must not survive into the new lease.
local function grantLease(fenceKey, token, userId, userName, avatarUrl, ttlMs, nowMs)
  if redis.call('EXISTS', fenceKey) == 0 then
    redis.call('SET', fenceKey, nowMs)
  end
  local fence = redis.call('INCR', fenceKey)
  redis.call('DEL', lease)
  redis.call('HSET', lease, 'token', token, 'userId', userId, 'userName', userName, 'fence', fence, 'sinceMs', nowMs)
  if avatarUrl ~= '' then
    redis.call('HSET', lease, 'avatarUrl', avatarUrl)
  end
  redis.call('PEXPIRE', lease, ttlMs)
end
