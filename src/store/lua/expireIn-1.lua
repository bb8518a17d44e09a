--[[
  Shortens the holder's lease to end `graceMs` from now: its connection dropped, and the same
  claimant may still renew it by claiming before then. A grace of 0 frees the record at once.

  KEYS[1] lease hash of the record

  ARGV[1] token   ARGV[2] graceMs

  Returns 1 shortened, 0 not the holder (or already free)
]]
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
