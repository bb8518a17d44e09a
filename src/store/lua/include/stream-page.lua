--[[
  Shared by the log listings (auditList-1, changeList-1): one page of a stream read newest first.
]]

-- Reads at most `scan` entries of `stream` from `endId` backwards and keeps, up to `limit`, those
-- whose fields `keep(fields)` takes, as `pick(id, fields)` makes them. Returns the JSON reply
-- { entries, next }: `next` is the id to continue below, absent when the stream has no older entries.
local function streamPage(stream, endId, scan, limit, keep, pick)
  local read = redis.call('XREVRANGE', stream, endId, '-', 'COUNT', scan)
  local found = {}
  for _, entry in ipairs(read) do
    local f = {}
    for i = 1, #entry[2], 2 do
      f[entry[2][i]] = entry[2][i + 1]
    end
    if keep(f) then
      found[#found + 1] = pick(entry[1], f)
      if #found == tonumber(limit) then
        return cjson.encode({ entries = found, next = entry[1] })
      end
    end
  end
  local nextId = nil
  if #read == tonumber(scan) then
    nextId = read[#read][1]
  end
  return cjson.encode({ entries = found, next = nextId })
end
