--[[
  Gives the lock to a new claimant, with a new fence, if the condition holds:
    'same-user'     the record is free, or held by any tab of the same user (take over in this tab)
    'holder'        the record is held by exactly the given tab of the given user (a hand-over
                    the holder agreed to)
    'unchanged'     the record is held by exactly the lease the caller read: the given tab and user,
                    the given fence (the same grant) and the given last activity (none since); a
                    take-over by policy, decided on that read

  A free record is not given to anyone while the restart-quiet key exists (see lockClaim-5): a
  'same-user' transfer of a free record is a new grant like any claim.

  KEYS[1] lease hash of the record
  KEYS[2] fence counter shared by every record
  KEYS[3] restart-quiet key
  KEYS[4] the record's revision counter (raised by a transfer)
  KEYS[5] index of held records (record key -> lease deadline), shared by every record

  ARGV[1] condition ('same-user' | 'holder' | 'unchanged')
  ARGV[2] holder token (for 'holder' and 'unchanged', else '')   ARGV[3] holder userId (likewise)
  ARGV[4] fence (for 'unchanged', else '')   ARGV[5] lastActiveMs (for 'unchanged', else '')
  ARGV[6] token      ARGV[7] userId     ARGV[8] userName   ARGV[9] avatarUrl ('' when none)
  ARGV[10] ttlMs     ARGV[11] nowMs     ARGV[12] the record key (its member in the index)

  Returns JSON { code, lease, revision }
    code  1 transferred (the new lease)
          0 refused     (the current holder's lease; none when the record is free)
]]
-- @include lease
-- @include revision
local lease = KEYS[1]
local holder = redis.call('HMGET', lease, 'token', 'userId', 'fence', 'activeMs', 'sinceMs')
local held = holder[1] ~= false

local allowed
if ARGV[1] == 'same-user' then
  allowed = (held and holder[2] == ARGV[7]) or ((not held) and redis.call('EXISTS', KEYS[3]) == 0)
elseif ARGV[1] == 'holder' then
  allowed = held and holder[1] == ARGV[2] and holder[2] == ARGV[3]
elseif ARGV[1] == 'unchanged' then
  allowed = held and holder[1] == ARGV[2] and holder[2] == ARGV[3] and tonumber(holder[3]) == tonumber(ARGV[4])
    and tonumber(holder[4] or holder[5]) == tonumber(ARGV[5])
else
  return redis.error_reply('unknown transfer condition')
end

if not allowed then
  return leaseReply(0, lease, currentRevision(KEYS[4]))
end

grantLease(lease, KEYS[2], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
indexGrant(KEYS[5], ARGV[12], lease)
return leaseReply(1, lease, bumpRevision(KEYS[4]))
