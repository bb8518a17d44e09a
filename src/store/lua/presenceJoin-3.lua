--[[
  Adds (or refreshes) one connection's presence entry on a record for `ttlMs`, drops expired
  entries, and returns everyone present.

  Deadlines are on Redis's clock (TIME), one clock for every process whatever theirs say; all
  presence scripts read it the same way. Both keys expire with the longest-lived entry, so a record
  nobody renews leaves nothing behind.

  KEYS[1] sorted set: entry id -> when it expires (ms, Redis clock)
  KEYS[2] hash: entry id -> entry JSON (kept in step with KEYS[1], which is the one that counts)
  KEYS[3] the record's revision counter (raised by this change)

  ARGV[1] entry id   ARGV[2] entry JSON   ARGV[3] ttlMs

  Returns JSON { entries = { entry JSON, ... }, revision, expired } of everyone present, self included (the caller
  sorts by arrival); `expired` counts the expired entries this dropped
]]
-- @include presence
-- @include revision
local ids, data = KEYS[1], KEYS[2]

local now = presenceNow()
local expired = pruneExpired(ids, data, now)
redis.call('ZADD', ids, now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', data, ARGV[1], ARGV[2])
expireKeysWithLastEntry(ids, data, now)
return cjson.encode({ entries = presentEntries(ids, data), revision = bumpRevision(KEYS[3]), expired = expired })
