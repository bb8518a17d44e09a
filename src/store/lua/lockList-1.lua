--[[
  The records whose leases have not ended, from the index the lock scripts keep (no SCAN of the
  keyspace): entries whose deadline has passed are dropped first. The caller reads each lease
  itself (lockGet-2); a record freed between the two steps then reads as free and is left out.

  KEYS[1] index of held records (record key -> lease deadline, Redis clock ms), shared by every record

  Returns { record key, ... } in no particular order
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
