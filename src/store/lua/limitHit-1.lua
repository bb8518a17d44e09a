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
-- @include limit

return limitHit(KEYS[1], ARGV[1], ARGV[2])
