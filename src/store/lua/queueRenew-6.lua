--[[
  Settles a record's line (include/queue.lua), then extends the given entries to end `ttlMs` from
  now. A token not in line (left, expired, dropped after its turn) is not added back.

  KEYS[1..4] the record's line: order, expiry, data, turn (see include/queue.lua)
  KEYS[5] lease hash of the record (whether it is free)
  KEYS[6] the record's revision counter (raised when settling dropped someone)

  ARGV[1] ttlMs   ARGV[2..] tokens to extend

  Returns 1 when entries were dropped (the line others see changed), 0 otherwise
]]
-- @include revision
-- @include queue
local q = queueKeys(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local now = clockMs()
local dropped = queueSettle(q, now, redis.call('EXISTS', KEYS[5]) == 0)
local deadline = now + tonumber(ARGV[1])
for i = 2, #ARGV do
  -- XX: only entries still in line.
  redis.call('ZADD', q.expiry, 'XX', deadline, ARGV[i])
end
queueExpireKeys(q, now)
if dropped > 0 then
  bumpRevision(KEYS[6])
  return 1
end
return 0
