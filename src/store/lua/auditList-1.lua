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
local read = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', ARGV[2])
local limit = tonumber(ARGV[3])
local found = {}
for _, entry in ipairs(read) do
  local f = {}
  for i = 1, #entry[2], 2 do
    f[entry[2][i]] = entry[2][i + 1]
  end
  local matches = (ARGV[4] == '' or f.record == ARGV[4]) and (ARGV[5] == '' or f.user == ARGV[5] or f.by == ARGV[5])
  if matches then
    found[#found + 1] = { id = entry[1], event = f.event }
    if #found == limit then
      return cjson.encode({ entries = found, next = entry[1] })
    end
  end
end
local nextId = nil
if #read == tonumber(ARGV[2]) then
  nextId = read[#read][1]
end
return cjson.encode({ entries = found, next = nextId })
