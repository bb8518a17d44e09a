--[[
  Appends a message to a conversation, keeps only its newest messages, and lets the conversation
  end `ttlMs` after this message. One step, so the list never holds more than `keep` and never
  lives without an expiry.

  KEYS[1] list of the conversation's message JSON, oldest first

  ARGV[1] message JSON   ARGV[2] keep (how many newest messages to keep)   ARGV[3] ttlMs

  Returns 1
]]
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
