--[[
  Shortens the holder's lease to end `graceMs` from now: its connection dropped, and the same
  claimant may still renew it by claiming before then. A grace of 0 frees the record at once.

  KEYS[1] lease hash of the record

  ARGV[1] token   ARGV[2] userId   ARGV[3] graceMs

  The store moves (or, for a grace of 0, removes) the record in the index (lockIndex-1) after it.

  Returns 1 shortened, 0 not the holder (or already free)
]]
local holder = redis.call('HMGET', KEYS[1], 'token', 'userId')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return 0
end
if tonumber(ARGV[3]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  -- PEXPIRE 0 deletes the lease: so does this.
  redis.call('DEL', KEYS[1])
end
return 1
