--[[
  Returns everyone present on a record. Expired entries are left out but not removed: the
  operations that remove them (join, leave, renew) say so, and a removal here would go unannounced.

  Expiry is judged on Redis's clock (TIME), as in every presence script.

  KEYS[1] sorted set: entry id -> when it expires (ms, Redis clock)
  KEYS[2] hash: entry id -> entry JSON
  KEYS[3] the record's revision counter

  Returns JSON { entries = { entry JSON, ... }, revision } of everyone present (the caller sorts by arrival)
]]
-- @include presence
-- @include revision
local ids, data = KEYS[1], KEYS[2]

return cjson.encode({ entries = liveEntries(ids, data, presenceNow()), revision = currentRevision(KEYS[3]) })
