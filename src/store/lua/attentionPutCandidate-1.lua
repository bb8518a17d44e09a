--[[
  Remembers a tab that asked the holder for attention, so the holder can hand the lock over to it.
  A second request of the same tab replaces the first.

  KEYS[1] the candidacy of one tab on one record

  ARGV[1] claimant JSON (token, userId, userName, avatarUrl?)   ARGV[2] ttlMs

  Returns 1
]]
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
