--[[
  Keeps the index of every held record (a sorted set: record key -> when its lease ends, Redis
  clock ms): the store sends this after lock scripts that granted, renewed, shortened or ended a
  lease, with the ttl each just gave its lease (or 'del'), the changes of one moment in one call,
  in the order they happened. Apart from the record's own script, which on a Redis Cluster may
  touch only its record's slot, so the index is a hint: a call that failed or raced another leaves
  an entry that is late or early, and the listing reads each lease anyway. Entries whose time has
  passed are pruned on every call and every listing (lockList-1).

  KEYS[1] the index

  ARGV[3i+1] 'set' | 'del'   ARGV[3i+2] a record key   ARGV[3i+3] ttlMs (for 'set'; '0' for 'del')

  Returns 1
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i = 1, #ARGV, 3 do
  if ARGV[i] == 'set' then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[i + 2]), ARGV[i + 1])
  else
    redis.call('ZREM', KEYS[1], ARGV[i + 1])
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return 1
