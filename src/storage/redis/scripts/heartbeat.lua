-- heartbeat.lua: renew a worker's liveness, tell it whether to pause, and whether maintenance has work.
-- KEYS[1] <ns>:errand:alive (zset)   KEYS[2] <ns>:workers:heartbeat (hash)
-- KEYS[3] <ns>:worker:<id> (Resque's "working on" JSON)   KEYS[4] <ns>:pause-all-workers
-- KEYS[5] <ns>:errand:schedule (zset)
-- ARGV[1] worker id   ARGV[2] now (epoch ms)   ARGV[3] now as ISO 8601   ARGV[4] working-on JSON, or ''
-- ARGV[5] dead before (epoch ms): a heartbeat older than this is a dead worker's
-- Returns { known (1, or 0 when the worker was declared dead), paused (1 or 0),
--           maintenance due (1 when some worker is dead or a scheduled job is due), next due ms or -1 }.
-- A worker declared dead is not revived here: its jobs were handed back, so it must register again.
-- The two maintenance checks are O(log n) reads, so an idle worker skips reap and promote calls.
local paused = redis.call('GET', KEYS[4]) == 'true' and 1 or 0
local next_due = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
local next_due_ms = next_due[2] and math.floor(tonumber(next_due[2])) or -1
local due = (next_due_ms >= 0 and next_due_ms <= tonumber(ARGV[2])) and 1 or 0
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return { 0, paused, due, next_due_ms }
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if ARGV[4] == '' then
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], ARGV[4])
end
if due == 0 and #redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[5], 'LIMIT', 0, 1) > 0 then
  due = 1
end
return { 1, paused, due, next_due_ms }
