--[[
  Shared by the lock scripts: the loader puts this file in place of their `-- @include lease` line
  (Redis scripts cannot load one another). Functions of their parameters only.
]]

-- The fields of a lease hash, in the order `leaseFromFields` takes them: one HMGET reads them all.
local LEASE_FIELDS = { 'token', 'userId', 'userName', 'avatarUrl', 'fence', 'sinceMs', 'activeMs', 'unsaved' }

-- A lease as named fields, from the HMGET of LEASE_FIELDS and its remaining ms. `pttl` rather than
-- an absolute deadline, so the caller reads the deadline on its own clock whatever Redis's clock says.
local function leaseFromFields(f, pttl)
  -- A lease written before `activeMs` existed (an older process) was last active when granted.
  local lease = { pttl = pttl, token = f[1], userId = f[2], userName = f[3],
    fence = tonumber(f[5]), sinceMs = tonumber(f[6]), lastActiveMs = tonumber(f[7] or f[6]), unsaved = f[8] == '1' }
  if f[4] then
    lease.avatarUrl = f[4]
  end
  return lease
end

-- The lease of `leaseKey` as named fields, or nil when the record is free.
local function leaseOf(leaseKey)
  if redis.call('EXISTS', leaseKey) == 0 then
    return nil
  end
  return leaseFromFields(redis.call('HMGET', leaseKey, unpack(LEASE_FIELDS)), redis.call('PTTL', leaseKey))
end

-- A reply with named fields: `code`, the record's `revision`, and, when the record is held, its `lease`.
local function leaseReply(code, leaseKey, revision)
  return cjson.encode({ code = code, lease = leaseOf(leaseKey), revision = revision })
end

-- How long a record's fence counter outlives its last grant (and at least its lease): a day.
local FENCE_KEEP_MS = 86400000

-- Writes a new lease with the record's next fence, last active at its grant. The counter is the
-- record's own (one slot, see keys.ts). A missing one (first grant, none for FENCE_KEEP_MS, or Redis
-- restarted without persistence) starts at the caller's clock: a fence granted after a restart or
-- a day's pause is above every earlier one of the record, unless the clocks of the processes
-- disagree by more than that pause or the record had more grants than the milliseconds it lasted.
-- DEL first: a previous holder's avatarUrl must not survive into the new lease. Returns the lease
-- as `leaseOf` would read it back (ttlMs left: the script's clock stands still while it runs).
local function grantLease(leaseKey, fenceKey, token, userId, userName, avatarUrl, ttlMs, nowMs)
  if redis.call('EXISTS', fenceKey) == 0 then
    redis.call('SET', fenceKey, nowMs)
  end
  local fence = redis.call('INCR', fenceKey)
  redis.call('PEXPIRE', fenceKey, math.max(FENCE_KEEP_MS, tonumber(ttlMs)))
  redis.call('DEL', leaseKey)
  redis.call('HSET', leaseKey, 'token', token, 'userId', userId, 'userName', userName, 'fence', fence, 'sinceMs', nowMs, 'activeMs', nowMs)
  if avatarUrl ~= '' then
    redis.call('HSET', leaseKey, 'avatarUrl', avatarUrl)
  end
  redis.call('PEXPIRE', leaseKey, ttlMs)
  return leaseFromFields({ token, userId, userName, avatarUrl ~= '' and avatarUrl, fence, nowMs, nowMs, false }, tonumber(ttlMs))
end

-- A lease ended by someone other than its holder (a forced or idle release, a hand-over, a
-- take-over) leaves its token in the record's ended set, for at least as long as the lease had
-- left: the old holder's server may still be renewing it (on another process, told later or not at
-- all), and a renewal that finds its lease gone re-asserts it. The ended set says "ended, not
-- lost", so that re-assertion is refused instead of handing the record back to a tab that lost it.
local function markEnded(endedKey, token, pttl)
  local keep = math.max(tonumber(pttl) or 0, 1000)
  redis.call('HSET', endedKey, token, '1')
  if redis.call('PTTL', endedKey) < keep then
    redis.call('PEXPIRE', endedKey, keep)
  end
end

-- Whether `token`'s lease of this record was ended by someone else (see markEnded).
local function wasEnded(endedKey, token)
  return redis.call('HEXISTS', endedKey, token) == 1
end

-- A new grant to `token` is a lease of its own: a re-assertion of it is no longer refused.
local function clearEnded(endedKey, token)
  redis.call('HDEL', endedKey, token)
end
