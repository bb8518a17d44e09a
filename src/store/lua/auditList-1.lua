--[[
  One page of a search of the audit log, newest first: reads at most `scan` entries from `end`
  backwards and returns those that match, up to `limit`. The caller continues from `next` until it
  has enough or `next` is absent (the log is exhausted), so no call holds Redis for the whole log.

  KEYS[1] the audit stream, shared by every record

  ARGV[1] end: '+' for the newest, or '(' .. id to start below that id
  ARGV[2] scan (how many entries to read at most)   ARGV[3] limit (how many matches at most)
  ARGV[4] record key to match ('' for any)   ARGV[5] user id to match as `user` or `by` ('' for any)

  Returns JSON { entries = { { id, event JSON }, ... }, next } newest first; `next` is the id to
  continue below, absent when the log has no older entries
]]
-- @include stream-page
local function matches(f)
  return (ARGV[4] == '' or f.record == ARGV[4]) and (ARGV[5] == '' or f.user == ARGV[5] or f.by == ARGV[5])
end
return streamPage(KEYS[1], ARGV[1], ARGV[2], ARGV[3], matches, function(id, f)
  return { id = id, event = f.event }
end)
