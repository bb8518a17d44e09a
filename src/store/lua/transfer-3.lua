--[[
  Gives the lock to a new claimant, with a new fence, if the condition holds:
    'same-user'     the record is free, or held by any tab of the same user (take over in this tab)
    'holder-token'  the record is held by exactly the given token (a hand-over the holder agreed to)

  A free record is not given to anyone while the restart-quiet key exists (see claim-3.lua): a
  'same-user' transfer of a free record is a new grant like any claim.

  KEYS[1] lease hash of the record
  KEYS[2] fence counter shared by every record
  KEYS[3] restart-quiet key

  ARGV[1] condition ('same-user' | 'holder-token')   ARGV[2] holder token (for 'holder-token', else '')
  ARGV[3] token      ARGV[4] userId     ARGV[5] userName   ARGV[6] avatarUrl ('' when none)
  ARGV[7] ttlMs      ARGV[8] nowMs

  Returns { code, pttl, token, userId, userName, avatarUrl, fence, sinceMs }
    code  1 transferred (the fields are the new lease)
          0 refused     (the fields are the current holder's)
  or { 0 } refused and the record is free
]]
local lease = KEYS[1]
local holder = redis.call('HMGET', lease, 'token', 'userId')
local held = holder[1] ~= false

local allowed
if ARGV[1] == 'same-user' then
  allowed = (held and holder[2] == ARGV[4]) or ((not held) and redis.call('EXISTS', KEYS[3]) == 0)
else
  allowed = held and holder[1] == ARGV[2]
end

if not allowed then
  if not held then
    return { 0 }
  end
  return { 0, redis.call('PTTL', lease),
    unpack(redis.call('HMGET', lease, 'token', 'userId', 'userName', 'avatarUrl', 'fence', 'sinceMs')) }
end

-- Same fence seeding as claim-3.lua.
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], ARGV[8])
end
local fence = redis.call('INCR', KEYS[2])

-- DEL first: the previous holder's avatarUrl must not survive into the new lease.
redis.call('DEL', lease)
redis.call('HSET', lease, 'token', ARGV[3], 'userId', ARGV[4], 'userName', ARGV[5], 'fence', fence, 'sinceMs', ARGV[8])
if ARGV[6] ~= '' then
  redis.call('HSET', lease, 'avatarUrl', ARGV[6])
end
redis.call('PEXPIRE', lease, ARGV[7])
return { 1, redis.call('PTTL', lease),
  unpack(redis.call('HMGET', lease, 'token', 'userId', 'userName', 'avatarUrl', 'fence', 'sinceMs')) }
