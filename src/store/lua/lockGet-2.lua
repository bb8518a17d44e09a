--[[
  Reads the lease and its remaining time in one step (a separate HGETALL and PTTL could straddle
  its expiry and report a lease with a negative lifetime).

  KEYS[1] lease hash of the record
  KEYS[2] the record's revision counter

  Returns JSON { code = 1, lease, revision } when held, JSON { code = 0, revision } when the record is free
]]
-- @include lease
-- @include revision

local lease = leaseOf(KEYS[1])
return cjson.encode({ code = lease and 1 or 0, lease = lease, revision = currentRevision(KEYS[2]) })
