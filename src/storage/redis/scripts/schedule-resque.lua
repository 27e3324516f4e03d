-- schedule-resque.lua: add delayed jobs in resque-scheduler's layout (createErrand({ delayed:
-- 'resque-scheduler' })), so resque-web's Delayed tab and Ruby's Resque.remove_delayed see them.
-- KEYS[1] <ns>:delayed_queue_schedule (zset: member and score the epoch second)
-- ARGV[1] key prefix '<ns>:'   ARGV[2] wake channel   ARGV[3..] pairs (delay ms, item JSON
-- {"class","args","queue"} as resque-scheduler encodes it)
-- Returns how many were added.
-- The same three updates as Ruby's delayed_push: RPUSH delayed:<ts>, SADD timestamps:<item>
-- 'delayed:<ts>' (the logical key, unprefixed, as Redis::Namespace leaves values), ZADD ts ts;
-- here in one atomic step. The second is Redis's TIME plus the delay, truncated as Ruby's
-- timestamp.to_i truncates, so the job is due at the start of that second by Redis's clock.
-- Keys not in KEYS: delayed:<ts> and timestamps:<item> are named by the due second, which only
-- Redis's clock decides.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local prefix = ARGV[1]
local soonest
for i = 3, #ARGV, 2 do
  local delay = math.max(0, tonumber(ARGV[i]))
  local ts = string.format('%d', math.floor((now + delay) / 1000))
  redis.call('RPUSH', prefix .. 'delayed:' .. ts, ARGV[i + 1])
  redis.call('SADD', prefix .. 'timestamps:' .. ARGV[i + 1], 'delayed:' .. ts)
  redis.call('ZADD', KEYS[1], ts, ts)
  local due_in = math.max(0, tonumber(ts) * 1000 - now)
  if not soonest or due_in < soonest then soonest = due_in end
end
if soonest then
  redis.call('PUBLISH', ARGV[2], '@' .. string.format('%d', soonest))
end
return (#ARGV - 2) / 2
