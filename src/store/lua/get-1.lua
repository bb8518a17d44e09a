--[[
  Reads the lease and its remaining time in one step (a separate HGETALL and PTTL could straddle
  its expiry and report a lease with a negative lifetime).

  KEYS[1] lease hash of the record

  Returns { 1, pttl, token, userId, userName, avatarUrl, fence, sinceMs } when held
          { 0 } when the record is free
]]local lease = KEYS[1]
-- @include lease

if redis.call('EXISTS', lease) == 0 then
  return { 0 }
end
return leaseReply(1)
