--[[
  Shortens the holder's lease to end `graceMs` from now: its connection dropped, and the same
  claimant may still renew it by claiming before then. A grace of 0 frees the record at once.

  KEYS[1] lease hash of the record
  KEYS[2] index of held records (record key -> lease deadline), shared by every record

  ARGV[1] token   ARGV[2] userId   ARGV[3] graceMs   ARGV[4] the record key (its member in the index)

  Returns 1 shortened, 0 not the holder (or already free)
]]
-- @include lease
local holder = redis.call('HMGET', KEYS[1], 'token', 'userId')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return 0
end
if tonumber(ARGV[3]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  indexLease(KEYS[2], ARGV[4], ARGV[3])
else
  -- PEXPIRE 0 deletes the lease: so does this, and the record leaves the index.
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
end
return 1
