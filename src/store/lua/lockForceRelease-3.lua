--[[
  Frees the record whoever holds it (an admin's "Release"), or only the lease the caller names: with
  an expected token and/or fence, a lease that does not match (granted since the admin looked) is
  left alone. The caller decides who may do this; the script checks nothing else.

  KEYS[1] lease hash of the record
  KEYS[2] the record's revision counter (raised by a release)
  KEYS[3] the record's ended set (include/lease.lua markEnded: its holder may not re-assert it)

  ARGV[1] expected token ('' for any)   ARGV[2] expected fence ('' for any)

  The store takes the record out of the index of held records (lockIndex-1) after a release.

  Returns JSON { released = 1 | 0, lease, revision }: the lease ended (released = 1), or the current
  one (released = 0: it does not match; no lease when the record is free)
]]
-- @include lease
-- @include revision
local current = leaseOf(KEYS[1])
if not current or (ARGV[1] ~= '' and current.token ~= ARGV[1]) or (ARGV[2] ~= '' and current.fence ~= tonumber(ARGV[2])) then
  return cjson.encode({ released = 0, lease = current, revision = currentRevision(KEYS[2]) })
end
redis.call('DEL', KEYS[1])
markEnded(KEYS[3], current.token, current.pttl)
return cjson.encode({ released = 1, lease = current, revision = bumpRevision(KEYS[2]) })
