--[[
  Settles a record's line (include/queue.lua) and returns it.

  KEYS[1..4] the record's line: order, expiry, data, turn (see include/queue.lua)
  KEYS[5] lease hash of the record (whether it is free)
  KEYS[6] the record's revision counter (raised when settling dropped someone)

  Returns JSON { queue = { entries = { { json, leftMs }, ... }, turnLeftMs }, revision }
]]
-- @include revision
-- @include queue
local q = queueKeys(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local now = clockMs()
local free = redis.call('EXISTS', KEYS[5]) == 0
local dropped = queueSettle(q, now, free)
queueExpireKeys(q, now)
local revision = dropped > 0 and bumpRevision(KEYS[6]) or currentRevision(KEYS[6])
return cjson.encode({ queue = queueListing(q, now, free), revision = revision })
