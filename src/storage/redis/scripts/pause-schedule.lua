-- pause-schedule.lua: pause or resume a recurring schedule (its claims skip ticks while paused).
-- KEYS[1] <ns>:errand:schedules (set of names)   KEYS[2] <ns>:errand:schedules:<name> (hash)
-- ARGV[1] name   ARGV[2] '1' to pause, '0' to resume
-- Returns 1, or 0 when no process ever declared that schedule (a typo should not create one).
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'paused', ARGV[2])
return 1
