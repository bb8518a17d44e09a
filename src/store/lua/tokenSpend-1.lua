--[[
  Spends a connection token's id: the first call within `ttlMs` wins, every later one (on any
  process) is told it was spent. The key ends when the token would have expired anyway.

  KEYS[1] the token's key

  ARGV[1] ttlMs (what is left of the token's validity)

  Returns 1 spent now, 0 spent before
]]
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 1
end
return 0
