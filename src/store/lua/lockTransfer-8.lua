--[[
  Gives the lock to a new claimant, with a new fence, if the condition holds:
    'same-user'     the record is free, or held by any tab of the same user (take over in this tab)
    'holder'        the record is held by exactly the given tab of the given user (a hand-over
                    the holder agreed to)
    'unchanged'     the record is held by exactly the lease the caller read: the given tab and user,
                    the given fence (the same grant) and the given last activity (none since); a
                    take-over by policy, decided on that read

  A 'same-user' transfer of a free record is a new grant like any claim (see lockClaim-8): refused
  while the caller's restart-quiet period runs, or while others are in the record's line first. The new holder
  leaves the line, and a turn that ran ends.

  Every key is the record's (one Cluster slot); the store updates the index after a transfer.

  KEYS[1] lease hash of the record
  KEYS[2] the record's fence counter (include/lease.lua grantLease)
  KEYS[3] the record's revision counter (raised by a transfer)
  KEYS[4..7] the record's line: order, expiry, data, turn (see include/queue.lua)
  KEYS[8] the record's ended set: the previous holder's token goes in (include/lease.lua markEnded)

  ARGV[1] condition ('same-user' | 'holder' | 'unchanged')
  ARGV[2] holder token (for 'holder' and 'unchanged', else '')   ARGV[3] holder userId (likewise)
  ARGV[4] fence (for 'unchanged', else '')   ARGV[5] lastActiveMs (for 'unchanged', else '')
  ARGV[6] token      ARGV[7] userId     ARGV[8] userName   ARGV[9] avatarUrl ('' when none)
  ARGV[10] ttlMs     ARGV[11] nowMs     ARGV[12] quietMs (what is left of the caller's restart-quiet period, 0: none)

  Returns JSON { code, lease, revision, queued }
    code  1 transferred (the new lease)
          0 refused     (the current holder's lease; none when the record is free, and then
                        `queued` when others are in line first, as lockClaim-8's code 4)
]]
-- @include lease
-- @include revision
-- @include queue
local lease = KEYS[1]
local holder = redis.call('HMGET', lease, 'token', 'userId', 'fence', 'activeMs', 'sinceMs')
local held = holder[1] ~= false

local allowed
if ARGV[1] == 'same-user' then
  allowed = (held and holder[2] == ARGV[7]) or ((not held) and tonumber(ARGV[12]) <= 0)
elseif ARGV[1] == 'holder' then
  allowed = held and holder[1] == ARGV[2] and holder[2] == ARGV[3]
elseif ARGV[1] == 'unchanged' then
  allowed = held and holder[1] == ARGV[2] and holder[2] == ARGV[3] and tonumber(holder[3]) == tonumber(ARGV[4])
    and tonumber(holder[4] or holder[5]) == tonumber(ARGV[5])
else
  return redis.error_reply('unknown transfer condition')
end

if not allowed then
  return leaseReply(0, lease, currentRevision(KEYS[3]))
end

local q, waiting, now, refusal, refusalRevision = queueBeforeGrant(KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[3], not held, ARGV[6], ARGV[7])
if refusal then
  return cjson.encode({ code = 0, queued = refusal, revision = refusalRevision })
end

if held and holder[1] ~= ARGV[6] then
  markEnded(KEYS[8], holder[1], redis.call('PTTL', lease))
end
grantLease(lease, KEYS[2], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
clearEnded(KEYS[8], ARGV[6])
if waiting then
  queueGranted(q, now, ARGV[6], ARGV[7])
end
return leaseReply(1, lease, bumpRevision(KEYS[3]))
