--[[
  Frees the record if the given tab of the given user holds its lease; anyone else's release
  changes nothing (a leaked token without its user is worth nothing).

  KEYS[1] lease hash of the record

  ARGV[1] token   ARGV[2] userId

  Returns 1 released, 0 not the holder (or already free)
]]
local holder = redis.call('HMGET', KEYS[1], 'token', 'userId')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
