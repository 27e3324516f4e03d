-- heartbeat.lua: renew a worker's liveness and tell it whether to pause.
-- KEYS[1] <ns>:errand:alive (zset)   KEYS[2] <ns>:workers:heartbeat (hash)
-- KEYS[3] <ns>:worker:<id> (Resque's "working on" JSON)   KEYS[4] <ns>:pause-all-workers
-- ARGV[1] worker id   ARGV[2] now (epoch ms)   ARGV[3] now as ISO 8601   ARGV[4] working-on JSON, or ''
-- Returns { known (1, or 0 when the worker was declared dead), paused (1 or 0) }.
-- A worker declared dead is not revived here: its jobs were handed back, so it must register again.
local paused = redis.call('GET', KEYS[4]) == 'true' and 1 or 0
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return { 0, paused }
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if ARGV[4] == '' then
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], ARGV[4])
end
return { 1, paused }
