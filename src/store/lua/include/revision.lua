--[[
  The record's revision counter (see `Revision` in src/protocol.ts): raised by every change of the
  record's lock or presence, read with every state a script returns. A missing counter (first use,
  the key expired, Redis restarted empty) starts at Redis's clock in ms, so a revision never goes
  below one handed out before. It expires a day after its last change: a record nobody touches
  leaves nothing behind.
]]

local REVISION_TTL_MS = 86400000

local function clockMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function bumpRevision(revKey)
  if redis.call('EXISTS', revKey) == 0 then
    redis.call('SET', revKey, clockMs())
  end
  local revision = redis.call('INCR', revKey)
  redis.call('PEXPIRE', revKey, REVISION_TTL_MS)
  return revision
end

local function currentRevision(revKey)
  local revision = redis.call('GET', revKey)
  if revision then
    return tonumber(revision)
  end
  return clockMs()
end
