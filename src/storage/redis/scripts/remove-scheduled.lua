-- remove-scheduled.lua: remove one scheduled job (delayed enqueue or retry) without running it.
-- KEYS[1] <ns>:errand:schedule (zset)   KEYS[2] <ns>:errand:retrying (counter of the retries in it)
-- ARGV[1] the set member exactly as stored
-- Returns 1 when the member was there, 0 when it is gone (promoted, run or removed already).
-- A script, not a ZREM, so the retry counter moves in the same step as the set.
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  return 0
end
if string.byte(ARGV[1], 1) == 33 then
  redis.call('DECR', KEYS[2])
end
return 1
