--[[
  Extends the lease of the tab that holds it. A tab that lost the lease (expired, released,
  taken over) gets nothing back and changes nothing; so does the right token with another user.

  KEYS[1] lease hash of the record

  ARGV[1] token   ARGV[2] userId   ARGV[3] ttlMs

  The store moves the record's deadline in the index of held records (lockIndex-1) after it.

  Returns JSON { code = 1, lease } when extended
          JSON { code = 0 } when this tab of this user does not hold the lease
]]
-- @include lease
local lease = KEYS[1]

local holder = redis.call('HMGET', lease, 'token', 'userId')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return cjson.encode({ code = 0 })
end
redis.call('PEXPIRE', lease, ARGV[3])
return leaseReply(1, lease)
