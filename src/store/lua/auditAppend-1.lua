--[[
  Appends an event to the audit log, a stream trimmed to about its newest `maxEntries` (MAXLEN ~:
  Redis trims whole nodes, so it may hold somewhat more, never fewer). The record and the user ids
  are fields of their own, so a listing filters without decoding every event.

  KEYS[1] the audit stream, shared by every record

  ARGV[1] maxEntries   ARGV[2] record key   ARGV[3] user id   ARGV[4] by's user id ('' when none)
  ARGV[5] event JSON

  Returns the entry's id
]]
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'record', ARGV[2], 'user', ARGV[3], 'by', ARGV[4], 'event', ARGV[5])
