--[[
  Extends the lease of the tab that holds it. A tab that lost the lease (expired, released,
  taken over) gets nothing back and changes nothing.

  KEYS[1] lease hash of the record

  ARGV[1] token   ARGV[2] ttlMs

  Returns { 1, pttl, token, userId, userName, avatarUrl, fence, sinceMs } when extended
          { 0 } when `token` does not hold the lease
]]
local lease = KEYS[1]
-- @include lease

if redis.call('HGET', lease, 'token') ~= ARGV[1] then
  return { 0 }
end
redis.call('PEXPIRE', lease, ARGV[2])
return leaseReply(1)
