--[[
  Records the holder's last activity on its lease (typing, a save): a later time than the one
  recorded moves it, an earlier one (a touch that arrived late) changes nothing. Only the tab that
  holds the lease, with its user, may touch it. Neither the deadline nor the record's revision
  changes: who holds the record is the same.

  KEYS[1] lease hash of the record

  ARGV[1] token   ARGV[2] userId   ARGV[3] atMs (the caller's clock)

  Returns 1 recorded (or already later), 0 not the holder (or the record is free)
]]
local holder = redis.call('HMGET', KEYS[1], 'token', 'userId', 'activeMs', 'sinceMs')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return 0
end
if tonumber(ARGV[3]) > tonumber(holder[3] or holder[4]) then
  redis.call('HSET', KEYS[1], 'activeMs', ARGV[3])
end
return 1
