--[[
  Reads a record's last save.

  KEYS[1] the record's last save

  Returns the save JSON, or nil when none is remembered (never saved, or expired)
]]
return redis.call('GET', KEYS[1])
