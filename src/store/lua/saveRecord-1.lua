--[[
  Remembers a record's last save through the admin (who, when, which version); the latest call wins.

  KEYS[1] the record's last save

  ARGV[1] save JSON (userId, userName, atMs, version)   ARGV[2] ttlMs

  Returns 1
]]
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
