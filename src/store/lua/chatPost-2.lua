--[[
  A chat message counted against its sender's allowance and, when within it, appended to its
  conversation: one step, so a message is stored exactly when it was allowed, with one round trip
  (limitHit-1 and chatAppend-1 together; see there).

  KEYS[1] the sender's window counter   KEYS[2] list of the conversation's message JSON, oldest first

  ARGV[1] message JSON   ARGV[2] keep   ARGV[3] ttlMs   ARGV[4] limit (messages per window)   ARGV[5] windowMs

  Returns 0 appended
          n > 0: refused by the limit, nothing stored; the ms until the window ends
]]
-- @include limit

local left = limitHit(KEYS[1], ARGV[4], ARGV[5])
if left > 0 then
  return left
end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 0
