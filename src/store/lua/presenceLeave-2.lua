--[[
  Removes one connection's presence entry from a record, drops expired entries, and returns
  everyone left. Removing an entry that is not there changes nothing else.

  Expiry is judged on Redis's clock (TIME), as in every presence script.

  KEYS[1] sorted set: entry id -> when it expires (ms, Redis clock)
  KEYS[2] hash: entry id -> entry JSON

  ARGV[1] entry id

  Returns { entry JSON, ... } of everyone left (the caller sorts by arrival)
]]
-- @include presence
local ids, data = KEYS[1], KEYS[2]

pruneExpired(ids, data, presenceNow())
-- The keys' own expiry stays: it is at least as late as any remaining entry's.
redis.call('ZREM', ids, ARGV[1])
redis.call('HDEL', data, ARGV[1])
return presentEntries(ids, data)
