--[[
  Shared by the queue scripts and the lock scripts that grant: the loader puts this file in place of
  their `-- @include queue` line. Needs `-- @include revision` before it (clockMs, the revision counter). Functions of
  their parameters only. A record's line is four keys under the record's hash tag, `q`:
    q.order   sorted set: token -> its order in line (the record's revision when it joined)
    q.expiry  sorted set: token -> when the entry ends unless renewed (ms, Redis clock)
    q.data    hash: token -> entry JSON { token, user, sinceMs, turnMs }
    q.turn    hash { token, endsAtMs }: the turn of the first in line, while the record is free
  The first in line may claim a free record; its turn starts when someone else claims it, lasts its
  `turnMs`, and when it ends unused the entry is dropped (it had its turn). Every grant ends a turn.
]]

local function queueKeys(order, expiry, data, turn)
  return { order = order, expiry = expiry, data = data, turn = turn }
end

-- Takes `token` out of the line; true when it was there.
local function queueRemove(q, token)
  redis.call('ZREM', q.expiry, token)
  redis.call('HDEL', q.data, token)
  return redis.call('ZREM', q.order, token) == 1
end

-- The line's keys live as long as its longest-lived entry; an empty line leaves nothing behind.
local function queueExpireKeys(q, now)
  local last = redis.call('ZRANGE', q.expiry, -1, -1, 'WITHSCORES')
  if last[2] then
    local keyTtl = math.max(1, tonumber(last[2]) - now)
    for _, key in ipairs({ q.order, q.expiry, q.data, q.turn }) do
      redis.call('PEXPIRE', key, keyTtl)
    end
  else
    redis.call('DEL', q.order, q.expiry, q.data, q.turn)
  end
end

local function queueHead(q)
  return redis.call('ZRANGE', q.order, 0, 0)[1]
end

-- The entry of `token` decoded, or nil.
local function queueEntry(q, token)
  local json = redis.call('HGET', q.data, token)
  if json then
    return cjson.decode(json)
  end
  return nil
end

-- Drops entries that expired, and, on a free record, a first in line whose turn ended unused.
-- Returns how many entries it dropped.
local function queueSettle(q, now, free)
  local expired = redis.call('ZRANGEBYSCORE', q.expiry, '-inf', now)
  for _, token in ipairs(expired) do
    redis.call('ZREM', q.order, token)
    redis.call('HDEL', q.data, token)
  end
  redis.call('ZREMRANGEBYSCORE', q.expiry, '-inf', now)
  local dropped = #expired
  if free then
    local head = queueHead(q)
    local turn = redis.call('HMGET', q.turn, 'token', 'endsAtMs')
    if head and turn[1] == head and tonumber(turn[2]) <= now then
      queueRemove(q, head)
      redis.call('DEL', q.turn)
      dropped = dropped + 1
    end
  end
  return dropped
end

-- One entry as the scripts reply it: its JSON and the ms it has left.
local function queueReplyEntry(q, token, now)
  return { json = redis.call('HGET', q.data, token), leftMs = tonumber(redis.call('ZSCORE', q.expiry, token)) - now }
end

-- The ms left of the first's turn when one runs on a free record, else nil.
local function queueTurnLeft(q, now, free)
  if not free then
    return nil
  end
  local turn = redis.call('HMGET', q.turn, 'token', 'endsAtMs')
  if turn[1] and turn[1] == queueHead(q) then
    return tonumber(turn[2]) - now
  end
  return nil
end

-- Everyone in line, in order, and the turn that runs: the `queue` part of a reply.
local function queueListing(q, now, free)
  local entries = {}
  for _, token in ipairs(redis.call('ZRANGE', q.order, 0, -1)) do
    entries[#entries + 1] = queueReplyEntry(q, token, now)
  end
  return { entries = entries, turnLeftMs = queueTurnLeft(q, now, free) }
end

-- May `token` of `userId` have the free record? Settles the line first. Returns nil when it may (the
-- line is empty, or it is first); otherwise the refusal { position, length, first, turnLeftMs },
-- starting the first's turn if none ran. Second result: whether the line changed (raise the revision).
local function queueGate(q, now, token, userId)
  local changed = queueSettle(q, now, true) > 0
  local head = queueHead(q)
  if not head then
    return nil, changed
  end
  local first = queueEntry(q, head)
  if head == token and first.user.id == userId then
    return nil, changed
  end
  local turn = redis.call('HMGET', q.turn, 'token', 'endsAtMs')
  local endsAtMs = tonumber(turn[2])
  if turn[1] ~= head then
    endsAtMs = now + first.turnMs
    redis.call('DEL', q.turn)
    redis.call('HSET', q.turn, 'token', head, 'endsAtMs', endsAtMs)
    queueExpireKeys(q, now)
    changed = true
  end
  local position = nil
  local own = queueEntry(q, token)
  if own and own.user.id == userId then
    position = redis.call('ZRANK', q.order, token) + 1
  end
  return {
    position = position,
    length = redis.call('ZCARD', q.order),
    first = queueReplyEntry(q, head, now),
    turnLeftMs = endsAtMs - now,
  }, changed
end

-- Before a grant of the free record by a claim or a transfer: the record's line `q`, whether anyone
-- waits and the time, and, when `gate` is set and others come first, the refusal (see queueGate)
-- with the revision to answer it with (raised when the refusal changed the line). An empty line
-- has no keys: then nothing touches it.
local function queueBeforeGrant(order, expiry, data, turn, revisionKey, gate, token, userId)
  local q = queueKeys(order, expiry, data, turn)
  local waiting = redis.call('EXISTS', q.order) == 1
  local now = waiting and clockMs()
  if waiting and gate then
    local refusal, changed = queueGate(q, now, token, userId)
    if refusal then
      return q, waiting, now, refusal, changed and bumpRevision(revisionKey) or currentRevision(revisionKey)
    end
  end
  return q, waiting, now, nil, nil
end

-- After any grant of the record: the new holder is no longer waiting, and no turn runs.
local function queueGranted(q, now, token, userId)
  local own = queueEntry(q, token)
  if own and own.user.id == userId then
    queueRemove(q, token)
  end
  redis.call('DEL', q.turn)
  queueExpireKeys(q, now)
end
