--[[
  One page of the change log, newest first: reads at most `scan` entries from `end` backwards and
  returns those of the given resources, up to `limit`. The caller continues from `next` until it
  has enough or `next` is absent, so no call holds Redis for the whole log (as auditList-1).

  KEYS[1] the change stream, shared by every record

  ARGV[1] end: '+' for the newest, or '(' .. id to start below that id
  ARGV[2] scan   ARGV[3] limit   ARGV[4..] resource ids to match

  Returns JSON { entries = { { id, change JSON }, ... }, next }, `next` absent when the log has no older entries
]]
local wanted = {}
for i = 4, #ARGV do
  wanted[ARGV[i]] = true
end
local read = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', ARGV[2])
local limit = tonumber(ARGV[3])
local found = {}
for _, entry in ipairs(read) do
  local f = {}
  for i = 1, #entry[2], 2 do
    f[entry[2][i]] = entry[2][i + 1]
  end
  if wanted[f.resource] then
    found[#found + 1] = { id = entry[1], change = f.change }
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
