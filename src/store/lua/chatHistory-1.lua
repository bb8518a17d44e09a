--[[
  Reads a conversation's newest messages.

  KEYS[1] list of the conversation's message JSON, oldest first

  ARGV[1] limit (how many of the newest messages)

  Returns { message JSON, ... } oldest first; empty when the conversation never was or has expired
]]
return redis.call('LRANGE', KEYS[1], -tonumber(ARGV[1]), -1)
