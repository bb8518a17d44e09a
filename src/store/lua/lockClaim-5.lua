--[[
  Claims the edit lock of one record: grants it when free, renews it for the claimant that holds it
  (same token AND same user id: a token alone is not enough), or reports the holder.

  While the restart-quiet key exists (Redis came back without its data, so leases from before are
  gone but their holders may still be editing), a free record is granted only to a re-assertion:
  the server renewing a lease it held for this very claimant.

  KEYS[1] lease hash of the record (token, userId, userName, avatarUrl, fence, sinceMs, activeMs)
  KEYS[2] fence counter shared by every record
  KEYS[3] restart-quiet key
  KEYS[4] the record's revision counter (raised by a grant)
  KEYS[5] index of held records (record key -> lease deadline), shared by every record

  ARGV[1] token      ARGV[2] userId     ARGV[3] userName   ARGV[4] avatarUrl ('' when none)
  ARGV[5] ttlMs      ARGV[6] nowMs (the caller's clock: becomes sinceMs of a new lease)
  ARGV[7] reassert ('1' for the server re-asserting its own claimant's lease, else '0')
  ARGV[8] the record key (its member in the index)

  Returns JSON { code, lease, revision } with the lease after the call (named fields, see include/lease.lua)
    code  1 granted (new lease, new fence)
          2 renewed (the claimant's own lease, same fence, ttl restarted)
          0 denied  (the lease is the holder's)
  or JSON { code = 3, quietMs } denied: the record is free, but in the restart-quiet period
]]
-- @include lease
-- @include revision
local lease = KEYS[1]

if redis.call('EXISTS', lease) == 1 then
  local holder = redis.call('HMGET', lease, 'token', 'userId')
  local code = 0
  if holder[1] == ARGV[1] and holder[2] == ARGV[2] then
    redis.call('PEXPIRE', lease, ARGV[5])
    indexLease(KEYS[5], ARGV[8], lease)
    code = 2
  end
  return leaseReply(code, lease, currentRevision(KEYS[4]))
end

if ARGV[7] ~= '1' then
  local quietMs = redis.call('PTTL', KEYS[3])
  if quietMs > 0 then
    return cjson.encode({ code = 3, quietMs = quietMs })
  end
end

grantLease(lease, KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
indexGrant(KEYS[5], ARGV[8], lease)
return leaseReply(1, lease, bumpRevision(KEYS[4]))
