--[[
  Gives the lock to a new claimant, with a new fence, if the condition holds:
    'same-user'     the record is free, or held by any tab of the same user (take over in this tab)
    'holder'        the record is held by exactly the given tab of the given user (a hand-over
                    the holder agreed to)

  A free record is not given to anyone while the restart-quiet key exists (see lockClaim-3): a
  'same-user' transfer of a free record is a new grant like any claim.

  KEYS[1] lease hash of the record
  KEYS[2] fence counter shared by every record
  KEYS[3] restart-quiet key
  KEYS[4] the record's revision counter (raised by a transfer)

  ARGV[1] condition ('same-user' | 'holder')
  ARGV[2] holder token (for 'holder', else '')   ARGV[3] holder userId (for 'holder', else '')
  ARGV[4] token      ARGV[5] userId     ARGV[6] userName   ARGV[7] avatarUrl ('' when none)
  ARGV[8] ttlMs      ARGV[9] nowMs

  Returns JSON { code, lease, revision }
    code  1 transferred (the new lease)
          0 refused     (the current holder's lease; none when the record is free)
]]
-- @include lease
-- @include revision
local lease = KEYS[1]
local holder = redis.call('HMGET', lease, 'token', 'userId')
local held = holder[1] ~= false

local allowed
if ARGV[1] == 'same-user' then
  allowed = (held and holder[2] == ARGV[5]) or ((not held) and redis.call('EXISTS', KEYS[3]) == 0)
else
  allowed = held and holder[1] == ARGV[2] and holder[2] == ARGV[3]
end

if not allowed then
  return leaseReply(0, lease, currentRevision(KEYS[4]))
end

grantLease(lease, KEYS[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
return leaseReply(1, lease, bumpRevision(KEYS[4]))
