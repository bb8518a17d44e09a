--[[
  Puts a tab in a record's line ("notify me when it is free") for `ttlMs`, or refreshes its entry:
  a tab already in line keeps its place. A token in line for another user is refused (a token alone
  proves nothing). Settles the line first (include/queue.lua) and returns it.

  KEYS[1..4] the record's line: order, expiry, data, turn (see include/queue.lua)
  KEYS[5] lease hash of the record (whether it is free)
  KEYS[6] the record's revision counter (raised by a join; its value orders the line)

  ARGV[1] token   ARGV[2] userId   ARGV[3] entry JSON { token, user, sinceMs, turnMs }   ARGV[4] ttlMs

  Returns JSON { joined = 1 | 0, queue = { entries = { { json, leftMs }, ... }, turnLeftMs }, revision }
]]
-- @include revision
-- @include queue
local q = queueKeys(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local now = clockMs()
local free = redis.call('EXISTS', KEYS[5]) == 0
local dropped = queueSettle(q, now, free)

local own = queueEntry(q, ARGV[1])
if own and own.user.id ~= ARGV[2] then
  local revision = dropped > 0 and bumpRevision(KEYS[6]) or currentRevision(KEYS[6])
  return cjson.encode({ joined = 0, queue = queueListing(q, now, free), revision = revision })
end

local revision = bumpRevision(KEYS[6])
redis.call('ZADD', q.order, 'NX', revision, ARGV[1])
redis.call('ZADD', q.expiry, now + tonumber(ARGV[4]), ARGV[1])
redis.call('HSET', q.data, ARGV[1], ARGV[3])
queueExpireKeys(q, now)
return cjson.encode({ joined = 1, queue = queueListing(q, now, free), revision = revision })
