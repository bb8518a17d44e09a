--[[
  Reads and forgets a tab's candidacy in one step, so one request is handed over at most once.
  (GET then DEL rather than GETDEL, which needs Redis 6.2.)

  KEYS[1] the candidacy of one tab on one record

  Returns the claimant JSON, or nil when there is none (never asked, taken, or expired)
]]
local claimant = redis.call('GET', KEYS[1])
if claimant then
  redis.call('DEL', KEYS[1])
end
return claimant
