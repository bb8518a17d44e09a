--[[
  Records the holder's last activity on its lease (typing, a save): a later time than the one
  recorded moves it, an earlier one (a touch that arrived late) changes nothing. With it, when
  given, whether the holder's page has unsaved input. Only the tab that holds the lease, with its
  user, may touch it. Neither the deadline nor the record's revision changes: who holds the record
  is the same.

  KEYS[1] lease hash of the record

  ARGV[1] token   ARGV[2] userId   ARGV[3] atMs (the caller's clock)
  ARGV[4] unsaved: '1' or '0', '' to leave it as it is

  Returns JSON { code = 1, lease } recorded (or already later): the lease after it
          JSON { code = 0 } not the holder (or the record is free)
]]
-- @include lease
local holder = redis.call('HMGET', KEYS[1], 'token', 'userId', 'activeMs', 'sinceMs')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return cjson.encode({ code = 0 })
end
if tonumber(ARGV[3]) > tonumber(holder[3] or holder[4]) then
  redis.call('HSET', KEYS[1], 'activeMs', ARGV[3])
end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'unsaved', ARGV[4])
end
return cjson.encode({ code = 1, lease = leaseOf(KEYS[1]) })
