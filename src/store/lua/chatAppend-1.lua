--[[
  Appends a message to its conversation, keeping the newest `keep`. On a Redis Cluster the sender's
  allowance (limitHit-1) lives in another slot than the conversation, so the store counts first
  and appends after, two steps; a single Redis does both in one (chatPost-2).

  KEYS[1] list of the conversation's message JSON, oldest first

  ARGV[1] message JSON   ARGV[2] keep   ARGV[3] ttlMs

  Returns 0 appended
]]
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 0
