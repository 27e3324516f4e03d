-- heartbeat.lua: renew a worker's liveness, tell it whether to pause, whether maintenance has
-- work, and whether its queues hold jobs.
-- KEYS[1] <ns>:errand:alive (zset)   KEYS[2] <ns>:workers:heartbeat (hash)
-- KEYS[3] <ns>:worker:<id> (Resque's "working on" JSON)   KEYS[4] <ns>:pause-all-workers
-- KEYS[5] <ns>:errand:schedule (zset)   KEYS[6] <ns>:queues (set, read when ARGV[7] is '*')
-- ARGV[1] worker id   ARGV[2] now (epoch ms)   ARGV[3] now as ISO 8601   ARGV[4] working-on JSON, or ''
-- ARGV[5] dead before (epoch ms): a heartbeat older than this is a dead worker's
-- ARGV[6] queue key prefix (<ns>:queue:)   ARGV[7..] queues to look at, '*' for all, or none
-- Returns { known (1, or 0 when the worker was declared dead), paused (1 or 0),
--           maintenance due (1 when some worker is dead or a scheduled job is due), next due ms or -1,
--           work waiting (1 when one of the queues holds a job) }.
-- A worker declared dead is not revived here: its jobs were handed back, so it must register again.
-- Every check is a read of O(log n) or one LLEN per queue, so an idle worker needs no other call:
-- no reap or promote while there is nothing to do, no poll for jobs pushed without an announcement.
local paused = redis.call('GET', KEYS[4]) == 'true' and 1 or 0
local next_due = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
local next_due_ms = next_due[2] and math.floor(tonumber(next_due[2])) or -1
local due = (next_due_ms >= 0 and next_due_ms <= tonumber(ARGV[2])) and 1 or 0
local queues
if ARGV[7] == '*' then
  queues = redis.call('SMEMBERS', KEYS[6])
else
  queues = { unpack(ARGV, 7) }
end
local work = 0
for _, queue in ipairs(queues) do
  if redis.call('LLEN', ARGV[6] .. queue) > 0 then
    work = 1
    break
  end
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return { 0, paused, due, next_due_ms, work }
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
return { 1, paused, due, next_due_ms, work }
