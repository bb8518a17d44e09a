--[[
  Appends a change made through the admin to the change log, a stream trimmed to about its newest
  `maxEntries` (MAXLEN ~, as the audit log). The resource id is a field of its own, so a listing
  filters without decoding every change.

  KEYS[1] the change stream, shared by every record

  ARGV[1] maxEntries   ARGV[2] resource id   ARGV[3] change JSON

  Returns the entry's id
]]
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'resource', ARGV[2], 'change', ARGV[3])
