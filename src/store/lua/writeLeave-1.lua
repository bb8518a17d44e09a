--[[
  Leaves a record's write section, if the caller's entry still holds it (a section that ended by
  itself may already belong to another writer, whose entry must stay).

  KEYS[1] the record's write section

  ARGV[1] fence of the caller's entry

  Returns 1 left, 0 the section had ended (or belongs to another entry)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
