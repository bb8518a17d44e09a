--[[
  Keeps the index of every held record (a sorted set: record key -> when its lease ends, Redis
  clock ms): the store calls this after a lock script that granted, renewed, shortened or ended a
  lease, with the ttl it just gave the lease (or 'del'). Apart from the record's own script, which
  on a Redis Cluster may touch only its record's slot, so the index is a hint: a call that failed or
  raced another leaves an entry that is late or early, and the listing reads each lease anyway.
  Entries whose time has passed are pruned on every 'set' and every listing (lockList-1).

  KEYS[1] the index

  ARGV[1] 'set' | 'del'   ARGV[2] the record key   ARGV[3] ttlMs (for 'set')

  Returns 1
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if ARGV[1] == 'set' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end
return 1
