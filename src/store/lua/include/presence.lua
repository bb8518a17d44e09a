--[[
  Shared by the presence scripts: the loader puts this file in place of their `-- @include presence`
  line (Redis scripts cannot load one another). Functions of their parameters only: `ids` is the
  record's sorted set (entry id -> expiry ms on Redis's clock), `data` its hash (entry id -> JSON).
]]

-- Now, in ms, on Redis's clock: every process judges expiry by the same clock.
local function presenceNow()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- Drops entries that expired by `now`; returns how many.
local function pruneExpired(ids, data, now)
  local expired = redis.call('ZRANGEBYSCORE', ids, '-inf', now)
  for _, id in ipairs(expired) do
    redis.call('HDEL', data, id)
  end
  redis.call('ZREMRANGEBYSCORE', ids, '-inf', now)
  return #expired
end

-- The keys live as long as their longest-lived entry, so an abandoned record leaves nothing behind.
local function expireKeysWithLastEntry(ids, data, now)
  local last = redis.call('ZRANGE', ids, -1, -1, 'WITHSCORES')
  if last[2] then
    local keyTtl = tonumber(last[2]) - now
    redis.call('PEXPIRE', ids, keyTtl)
    redis.call('PEXPIRE', data, keyTtl)
  end
end

-- The entry JSON of these ids (the caller sorts by arrival).
local function entriesOf(data, idList)
  local present = {}
  for _, id in ipairs(idList) do
    local entry = redis.call('HGET', data, id)
    if entry then
      present[#present + 1] = entry
    end
  end
  return present
end

-- Everyone present, as entry JSON, once expired entries are pruned.
local function presentEntries(ids, data)
  return entriesOf(data, redis.call('ZRANGE', ids, 0, -1))
end

-- Everyone whose entry has not expired by `now`, leaving expired ones in place (for whoever
-- prunes them to report it).
local function liveEntries(ids, data, now)
  return entriesOf(data, redis.call('ZRANGEBYSCORE', ids, string.format('(%d', now), '+inf'))
end
