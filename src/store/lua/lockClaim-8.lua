--[[
  Claims the edit lock of one record: grants it when free, renews it for the claimant that holds it
  (same token AND same user id: a token alone is not enough), or reports the holder.

  While the caller's restart-quiet period runs (a Redis server came back without its data, so
  leases from before are gone but their holders may still be editing; the store keeps the period
  and passes what is left of it), a free record is granted only to a re-assertion: the server
  renewing a lease it held for this very claimant.

  While others wait in the record's line (include/queue.lua), a free record is granted only to the
  first in line; anyone else is refused with their place, and the first's turn starts if none ran.
  A re-assertion passes (its claimant held the record). An empty line changes nothing.

  Every key is the record's (one hash tag, one Cluster slot); the store updates the index of held
  records (lockIndex-1) after a grant or renewal.

  KEYS[1] lease hash of the record (token, userId, userName, avatarUrl, fence, sinceMs, activeMs)
  KEYS[2] the record's fence counter (include/lease.lua grantLease)
  KEYS[3] the record's revision counter (raised by a grant, and by a refusal that changed the line)
  KEYS[4..7] the record's line: order, expiry, data, turn (see include/queue.lua)
  KEYS[8] the record's ended set: tokens whose lease someone else ended (include/lease.lua)

  ARGV[1] token      ARGV[2] userId     ARGV[3] userName   ARGV[4] avatarUrl ('' when none)
  ARGV[5] ttlMs      ARGV[6] nowMs (the caller's clock: becomes sinceMs of a new lease)
  ARGV[7] reassert ('1' for the server re-asserting its own claimant's lease, else '0')
  ARGV[8] quietMs: what is left of the caller's restart-quiet period (0: none)

  Returns JSON { code, lease, revision } with the lease after the call (named fields, see include/lease.lua)
    code  1 granted (new lease, new fence)
          2 renewed (the claimant's own lease, same fence, ttl restarted)
          0 denied  (the lease is the holder's)
  or JSON { code = 3, quietMs } denied: the record is free, but in the restart-quiet period
  or JSON { code = 4, queued = { position, length, first, turnLeftMs }, revision } denied: the
     record is free, but others are in line first (see queueGate)
  or JSON { code = 5 } denied: a re-assertion of a lease someone else ended (forced, idle, handed
     over, taken over); the claimant's server should stop renewing it
]]
-- @include lease
-- @include revision
-- @include queue
local lease = KEYS[1]
local reasserting = ARGV[7] == '1'

-- The whole lease in one read (a lease always has its token): the reply is built from it, not read
-- again. The renewal, the common case, is then four commands.
local held = redis.call('HMGET', lease, unpack(LEASE_FIELDS))
if held[1] then
  local own = held[1] == ARGV[1] and held[2] == ARGV[2]
  if reasserting and not own and wasEnded(KEYS[8], ARGV[1]) then
    return cjson.encode({ code = 5 })
  end
  if own then
    redis.call('PEXPIRE', lease, ARGV[5])
    -- ttlMs left, as PTTL would say now: the script's clock stands still while it runs.
    return cjson.encode({ code = 2, lease = leaseFromFields(held, tonumber(ARGV[5])), revision = currentRevision(KEYS[3]) })
  end
  return cjson.encode({ code = 0, lease = leaseFromFields(held, redis.call('PTTL', lease)), revision = currentRevision(KEYS[3]) })
end

if reasserting and wasEnded(KEYS[8], ARGV[1]) then
  return cjson.encode({ code = 5 })
end

if not reasserting then
  local quietMs = tonumber(ARGV[8])
  if quietMs > 0 then
    return cjson.encode({ code = 3, quietMs = quietMs })
  end
end

local q, waiting, now, refusal, refusalRevision = queueBeforeGrant(KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[3], not reasserting, ARGV[1], ARGV[2])
if refusal then
  return cjson.encode({ code = 4, queued = refusal, revision = refusalRevision })
end

local granted = grantLease(lease, KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
clearEnded(KEYS[8], ARGV[1])
if waiting then
  queueGranted(q, now, ARGV[1], ARGV[2])
end
return cjson.encode({ code = 1, lease = granted, revision = bumpRevision(KEYS[3]) })
