--[[
  A fixed-window rate limit: counts one event unless the window's limit is reached. The first
  event of a window starts it (INCR, then PEXPIRE); an event over the limit is refused and not
  counted, so a client that keeps trying does not push its own window further out. Check and count
  are one step, so of any number of concurrent callers exactly `limit` per window get 0.

  KEYS[1] the window's counter (its expiry is the end of the window)

  ARGV[1] limit (events per window)   ARGV[2] windowMs

  Returns 0 counted (the event may go)
          n > 0: refused; the ms until the window ends
]]
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then
    return left
  end
  -- 0: ending this very millisecond; -1: a counter without expiry that we did not write. Either
  -- way no window runs any more: start one with this event.
  redis.call('SET', KEYS[1], 1, 'PX', ARGV[2])
  return 0
end
-- The first event starts the window. (A counter left without expiry would limit forever: give it one.)
if redis.call('INCR', KEYS[1]) == 1 or redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
