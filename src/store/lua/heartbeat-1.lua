--[[
  Extends the lease of the tab that holds it. A tab that lost the lease (expired, released,
  taken over) gets nothing back and changes nothing; so does the right token with another user.

  KEYS[1] lease hash of the record

  ARGV[1] token   ARGV[2] userId   ARGV[3] ttlMs

  Returns { 1, pttl, token, userId, userName, avatarUrl, fence, sinceMs } when extended
          { 0 } when this tab of this user does not hold the lease
]]
local lease = KEYS[1]
-- @include lease

local holder = redis.call('HMGET', lease, 'token', 'userId')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return { 0 }
end
redis.call('PEXPIRE', lease, ARGV[3])
return leaseReply(1)
