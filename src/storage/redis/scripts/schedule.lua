-- schedule.lua: add delayed jobs to the scheduled set, due on Redis's clock.
-- KEYS[1] <ns>:errand:schedule (zset member "unique-tag\nqueue\npayload", score due ms)
-- ARGV[1] wake channel   ARGV[2..] pairs (delay ms, member)
-- Returns how many were added.
-- The client sends the delay its runAt implies by its own clock; the due time is Redis's TIME
-- plus that delay, so due times, leases and promotion all read one clock whatever the clients'.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local soonest
for i = 2, #ARGV, 2 do
  local delay = math.max(0, tonumber(ARGV[i]))
  redis.call('ZADD', KEYS[1], now + delay, ARGV[i + 1])
  if not soonest or delay < soonest then soonest = delay end
end
if soonest then
  redis.call('PUBLISH', ARGV[1], '@' .. string.format('%d', soonest))
end
return (#ARGV - 1) / 2
