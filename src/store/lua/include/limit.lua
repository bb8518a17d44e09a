--[[
  A fixed-window rate limit (see limitHit-1.lua): counts one event unless the window's limit is
  reached. Returns 0 when counted, otherwise the ms until the window ends (the event not counted).
]]

local function limitHit(counterKey, limit, windowMs)
  local count = tonumber(redis.call('GET', counterKey) or '0')
  if count >= tonumber(limit) then
    local left = redis.call('PTTL', counterKey)
    if left > 0 then
      return left
    end
    -- 0: ending this very millisecond; -1: a counter without expiry that we did not write. Either
    -- way no window runs any more: start one with this event.
    redis.call('SET', counterKey, 1, 'PX', windowMs)
    return 0
  end
  -- The first event starts the window. (A counter left without expiry would limit forever: give it one.)
  if redis.call('INCR', counterKey) == 1 or redis.call('PTTL', counterKey) == -1 then
    redis.call('PEXPIRE', counterKey, windowMs)
  end
  return 0
end
