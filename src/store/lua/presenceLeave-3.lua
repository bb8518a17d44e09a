--[[
  Removes one connection's presence entry from a record, drops expired entries, and returns
  everyone left. Removing an entry that is not there changes nothing else.

  Expiry is judged on Redis's clock (TIME), as in every presence script.

  KEYS[1] sorted set: entry id -> when it expires (ms, Redis clock)
  KEYS[2] hash: entry id -> entry JSON
  KEYS[3] the record's revision counter (raised by this change)

  ARGV[1] entry id

  Returns JSON { entries = { entry JSON, ... }, revision, expired } of everyone left (the caller sorts by arrival);
  `expired` counts the expired entries this dropped
]]
-- @include presence
-- @include revision
local ids, data = KEYS[1], KEYS[2]

local expired = pruneExpired(ids, data, presenceNow())
-- The keys' own expiry stays: it is at least as late as any remaining entry's.
redis.call('ZREM', ids, ARGV[1])
redis.call('HDEL', data, ARGV[1])
return cjson.encode({ entries = presentEntries(ids, data), revision = bumpRevision(KEYS[3]), expired = expired })
