--[[
  Reads the lease and its remaining time in one step (a separate HGETALL and PTTL could straddle
  its expiry and report a lease with a negative lifetime).

  KEYS[1] lease hash of the record

  Returns JSON { code = 1, lease } when held, JSON { code = 0 } when the record is free
]]
-- @include lease

local lease = leaseOf(KEYS[1])
return cjson.encode({ code = lease and 1 or 0, lease = lease })
