--[[
  Gives the lock to a new claimant, with a new fence, if the condition holds:
    'same-user'     the record is free, or held by any tab of the same user (take over in this tab)
    'holder'        the record is held by exactly the given tab of the given user (a hand-over
                    the holder agreed to)

  A free record is not given to anyone while the restart-quiet key exists (see claim-3.lua): a
  'same-user' transfer of a free record is a new grant like any claim.

  KEYS[1] lease hash of the record
  KEYS[2] fence counter shared by every record
  KEYS[3] restart-quiet key

  ARGV[1] condition ('same-user' | 'holder')
  ARGV[2] holder token (for 'holder', else '')   ARGV[3] holder userId (for 'holder', else '')
  ARGV[4] token      ARGV[5] userId     ARGV[6] userName   ARGV[7] avatarUrl ('' when none)
  ARGV[8] ttlMs      ARGV[9] nowMs

  Returns { code, pttl, token, userId, userName, avatarUrl, fence, sinceMs }
    code  1 transferred (the fields are the new lease)
          0 refused     (the fields are the current holder's)
  or { 0 } refused and the record is free
]]
local lease = KEYS[1]
-- @include lease
local holder = redis.call('HMGET', lease, 'token', 'userId')
local held = holder[1] ~= false

local allowed
if ARGV[1] == 'same-user' then
  allowed = (held and holder[2] == ARGV[5]) or ((not held) and redis.call('EXISTS', KEYS[3]) == 0)
else
  allowed = held and holder[1] == ARGV[2] and holder[2] == ARGV[3]
end

if not allowed then
  if not held then
    return { 0 }
  end
  return leaseReply(0)
end

grantLease(KEYS[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
return leaseReply(1)
