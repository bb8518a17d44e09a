--[[
  The records marked as having presence whose mark has not run out (see presenceIndex-1), dropping
  the others on the way.

  KEYS[1] sorted set: record key -> until when (ms, Redis clock)

  Returns the record keys, in no particular order
]]
-- @include presence
local now = presenceNow()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
