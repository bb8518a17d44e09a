--[[
  Frees the record if `token` holds its lease; anyone else's release changes nothing.

  KEYS[1] lease hash of the record

  ARGV[1] token

  Returns 1 released, 0 not the holder (or already free)
]]
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
