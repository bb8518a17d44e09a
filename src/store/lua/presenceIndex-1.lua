--[[
  Marks records as having presence on the caller's process until `ttlMs` from now (Redis clock),
  never earlier than another process marked them, and drops records whose mark ran out. One key,
  apart from the records' own presence keys: a hint for listing viewed records (`indexed`).

  KEYS[1] sorted set: record key -> until when (ms, Redis clock)

  ARGV[1] ttlMs   ARGV[2..] record keys

  Returns 1
]]
-- @include presence
local now = presenceNow()
local untilMs = now + tonumber(ARGV[1])
for i = 2, #ARGV do
  -- GT: a later mark of another process stays; a new member is added all the same.
  redis.call('ZADD', KEYS[1], 'GT', untilMs, ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return 1
