-- heartbeat.lua: renew a worker instance's lease, tell it whether to pause, whether maintenance
-- has work, and whether its queues hold jobs.
-- KEYS[1] <ns>:errand:leases (zset)   KEYS[2] <ns>:workers:heartbeat (hash)
-- KEYS[3] <ns>:worker:<resque id> (Resque's "working on" JSON)   KEYS[4] <ns>:pause-all-workers
-- KEYS[5] <ns>:errand:schedule (zset)   KEYS[6] <ns>:queues (set, read when ARGV[6] is '*')
-- KEYS[7] <ns>:errand:instance:<instance id> (hash)   KEYS[8] <ns>:workers (set)
-- KEYS[9] <ns>:delayed_queue_schedule (resque-scheduler's zset, epoch seconds: promote-delayed.lua)
-- KEYS[10] <ns>:errand:paused-queues (a paused queue's jobs are not work for anyone)
-- KEYS[11..] the queues to look at (<ns>:queue:<name>), when named
-- ARGV[1] instance id   ARGV[2] now as ISO 8601 (display only)   ARGV[3] working-on JSON, or ''
-- ARGV[4] started watermark   ARGV[5] Resque id   ARGV[6] '*' to look at every queue (their keys
-- come from <ns>:queues, so they cannot be declared), else ''   ARGV[7] queue key prefix
-- ARGV[8..] the queue names, as KEYS[11..]
-- Returns { known (1, or 0 when the instance was declared dead), paused (1 or 0),
--           maintenance due (1 when some lease expired or a scheduled job is due, errand's or
--           resque-scheduler's), ms until the next scheduled job (either kind) or -1, work waiting (1 when one of the queues holds a job),
--           Redis's time in ms (the caller hands it to recover() to prove recent contact) }.
-- Time is Redis's TIME: a lease is renewed to now + the instance's own lease length, recorded at
-- registration. A worker declared dead is not revived here: its jobs were handed back, so it must
-- register again. An expired lease not yet reaped is renewed: nobody took its jobs.
-- Every check is a read of O(log n) or one LLEN per queue, so an idle worker needs no other call.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local paused = redis.call('GET', KEYS[4]) == 'true' and 1 or 0
local next_due = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
local next_due_in = next_due[2] and math.max(0, math.floor(tonumber(next_due[2])) - now) or -1
local due = (next_due[2] and tonumber(next_due[2]) <= now) and 1 or 0
-- Ruby's Resque.enqueue_at entries, so an idle worker notices those too: one more O(1) read.
local ruby_due = redis.call('ZRANGE', KEYS[9], 0, 0, 'WITHSCORES')
if ruby_due[2] then
  local ruby_in = math.max(0, math.floor(tonumber(ruby_due[2]) * 1000) - now)
  if next_due_in < 0 or ruby_in < next_due_in then next_due_in = ruby_in end
  if ruby_in == 0 then due = 1 end
end
local work = 0
if ARGV[6] == '*' then
  for _, queue in ipairs(redis.call('SMEMBERS', KEYS[6])) do
    if redis.call('LLEN', ARGV[7] .. queue) > 0 and redis.call('SISMEMBER', KEYS[10], queue) == 0 then work = 1 break end
  end
else
  for i = 11, #KEYS do
    if redis.call('LLEN', KEYS[i]) > 0 and redis.call('SISMEMBER', KEYS[10], ARGV[i - 3]) == 0 then work = 1 break end
  end
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return { 0, paused, due, next_due_in, work, now }
end
local lease = tonumber(redis.call('HGET', KEYS[7], 'lease')) or 5000
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
local started = tonumber(ARGV[4])
if started > (tonumber(redis.call('HGET', KEYS[7], 'started')) or 0) then
  redis.call('HSET', KEYS[7], 'started', ARGV[4])
end
-- Resque's entry, kept whole: another instance showing the same Resque id may have retired it.
redis.call('SADD', KEYS[8], ARGV[5])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[2])
if ARGV[3] == '' then
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], ARGV[3])
end
if due == 0 and #redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 1) > 0 then
  due = 1
end
return { 1, paused, due, next_due_in, work, now }
