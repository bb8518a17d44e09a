--[[
  Takes a tab out of a record's line, if it is there for this user (a leaked token without its user
  removes nothing). Settles the line first (include/queue.lua) and returns it.

  KEYS[1..4] the record's line: order, expiry, data, turn (see include/queue.lua)
  KEYS[5] lease hash of the record (whether it is free)
  KEYS[6] the record's revision counter (raised when the line changed)

  ARGV[1] token   ARGV[2] userId

  Returns JSON { left = 1 | 0, queue = { entries = { { json, leftMs }, ... }, turnLeftMs }, revision }
]]
-- @include revision
-- @include queue
local q = queueKeys(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local now = clockMs()
local free = redis.call('EXISTS', KEYS[5]) == 0
local dropped = queueSettle(q, now, free)

local left = 0
local own = queueEntry(q, ARGV[1])
if own and own.user.id == ARGV[2] then
  queueRemove(q, ARGV[1])
  left = 1
end
queueExpireKeys(q, now)
local revision = (left == 1 or dropped > 0) and bumpRevision(KEYS[6]) or currentRevision(KEYS[6])
return cjson.encode({ left = left, queue = queueListing(q, now, free), revision = revision })
