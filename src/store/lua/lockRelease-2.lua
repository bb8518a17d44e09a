--[[
  Frees the record if the given tab of the given user holds its lease; anyone else's release
  changes nothing (a leaked token without its user is worth nothing).

  KEYS[1] lease hash of the record
  KEYS[2] the record's revision counter (raised by a release)

  ARGV[1] token   ARGV[2] userId

  The store takes the record out of the index of held records (lockIndex-1) after a release.

  Returns JSON { released = 1 | 0, revision } (0: not the holder, or already free)
]]
-- @include revision
local holder = redis.call('HMGET', KEYS[1], 'token', 'userId')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return cjson.encode({ released = 0, revision = currentRevision(KEYS[2]) })
end
redis.call('DEL', KEYS[1])
return cjson.encode({ released = 1, revision = bumpRevision(KEYS[2]) })
