-- declare-schedules.lua: record the definitions a process runs, and read the schedules' records.
-- KEYS[1] <ns>:errand:schedules (set of names)   KEYS[2..] <ns>:errand:schedules:<name> (hashes), one per name
-- ARGV[1..] pairs (name, definition JSON); with no pairs, every recorded schedule is read
-- Returns { Redis's time in ms, then per schedule: name, flat HGETALL list }.
-- One script so a first declaration sets `created` once (the catch-up floor), on Redis's clock.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local out = { now }
for i = 1, #ARGV, 2 do
  local key = KEYS[(i + 1) / 2 + 1]
  redis.call('SADD', KEYS[1], ARGV[i])
  redis.call('HSET', key, 'def', ARGV[i + 1], 'seen', string.format('%d', now))
  redis.call('HSETNX', key, 'created', string.format('%d', now))
  table.insert(out, ARGV[i])
  table.insert(out, redis.call('HGETALL', key))
end
return out
