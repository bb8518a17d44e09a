--[[
  Drops a record's expired presence entries, then extends the given ones to end `ttlMs` from now.
  An id that is not present (left, or expired: dropped first) is not added back.

  Expiry is judged on Redis's clock (TIME), as in every presence script. The keys' own expiry
  follows the longest-lived entry.

  KEYS[1] sorted set: entry id -> when it expires (ms, Redis clock)
  KEYS[2] hash: entry id -> entry JSON
  KEYS[3] the record's revision counter (raised when someone expired)

  ARGV[1] ttlMs   ARGV[2..] entry ids to extend

  Returns 1 when expired entries were dropped (the list others see changed), 0 otherwise
]]
-- @include presence
-- @include revision
local ids, data = KEYS[1], KEYS[2]

local now = presenceNow()
local dropped = pruneExpired(ids, data, now)
local deadline = now + tonumber(ARGV[1])
for i = 2, #ARGV do
  -- XX: only entries still there; a left entry is not brought back.
  redis.call('ZADD', ids, 'XX', deadline, ARGV[i])
end
expireKeysWithLastEntry(ids, data, now)
if dropped > 0 then
  bumpRevision(KEYS[3])
  return 1
end
return 0
