--[[
  One page of the change log, newest first: reads at most `scan` entries from `end` backwards and
  returns those of the given resources, up to `limit`. The caller continues from `next` until it
  has enough or `next` is absent, so no call holds Redis for the whole log (as auditList-1).

  KEYS[1] the change stream, shared by every record

  ARGV[1] end: '+' for the newest, or '(' .. id to start below that id
  ARGV[2] scan   ARGV[3] limit   ARGV[4..] resource ids to match

  Returns JSON { entries = { { id, change JSON }, ... }, next }, `next` absent when the log has no older entries
]]
-- @include stream-page
local wanted = {}
for i = 4, #ARGV do
  wanted[ARGV[i]] = true
end
return streamPage(KEYS[1], ARGV[1], ARGV[2], ARGV[3], function(f)
  return wanted[f.resource] == true
end, function(id, f)
  return { id = id, change = f.change }
end)
