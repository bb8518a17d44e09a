--[[
  Reads the lease and its remaining time in one step (a separate HGETALL and PTTL could straddle
  its expiry and report a lease with a negative lifetime).

  KEYS[1] lease hash of the record

  Returns { 1, pttl, token, userId, userName, avatarUrl, fence, sinceMs } when held
          { 0 } when the record is free
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 0 }
end
return { 1, redis.call('PTTL', KEYS[1]),
  unpack(redis.call('HMGET', KEYS[1], 'token', 'userId', 'userName', 'avatarUrl', 'fence', 'sinceMs')) }
