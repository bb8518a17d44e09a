--[[
  Drops a record's expired presence entries and returns everyone present.

  Expiry is judged on Redis's clock (TIME), as in every presence script.

  KEYS[1] sorted set: entry id -> when it expires (ms, Redis clock)
  KEYS[2] hash: entry id -> entry JSON
  KEYS[3] the record's revision counter

  Returns JSON { entries = { entry JSON, ... }, revision } of everyone present (the caller sorts by arrival)
]]
-- @include presence
-- @include revision
local ids, data = KEYS[1], KEYS[2]

pruneExpired(ids, data, presenceNow())
return cjson.encode({ entries = presentEntries(ids, data), revision = currentRevision(KEYS[3]) })
