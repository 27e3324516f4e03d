-- settle.lua: record the outcomes of finished jobs, many at once.
-- KEYS[1] in-flight hash of the instance   KEYS[2] <ns>:stat:processed   KEYS[3] <ns>:stat:failed
-- KEYS[4] <ns>:stat:processed:<resque id>   KEYS[5] <ns>:stat:failed:<resque id>
-- KEYS[6] <ns>:failed (list)   KEYS[7] <ns>:errand:schedule (zset)   KEYS[8] <ns>:errand:instance:<instance> (hash)
-- KEYS[9] <ns>:errand:metrics:m:<minute>   KEYS[10] <ns>:errand:metrics:t:<ten minutes> (hashes
-- `field:class` -> count: the per class metrics, see src/storage/job-metrics.ts)
-- KEYS[11] <ns>:errand:retrying (how many schedule members are retries: tag starting with '!')
-- KEYS[12..] per-queue, per-minute throughput counters (<ns>:errand:done:<queue>:<minute>), Q of them
-- ARGV[1] D done count   ARGV[2] F failed count   ARGV[3] R retry count   ARGV[4] wake channel
-- ARGV[5] started watermark (0 = unchanged)   ARGV[6] M metric cells
-- ARGV[7..] Q attempt counts (one per throughput key), then M pairs (cell, count), then D done
-- tokens, then F pairs (token, failure entry), then R triples (token, delay ms, schedule member)
-- Returns the number of outcomes applied. As in Resque, every attempt counts as processed and
-- every failed attempt as failed (retried or not); the failed list holds only final failures.
-- An outcome applies only if its token is still in this instance's in-flight hash. A worker that
-- was declared dead had its jobs handed back; its late outcomes change nothing (nor its watermark:
-- its instance hash is gone and is not brought back).
-- A retry is due its delay after Redis's TIME, so a client clock that is off cannot move it.
local done, failed, retried = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local applied, failures = 0, 0
local metric_cells = tonumber(ARGV[6])
local i = 7
-- Recent throughput per queue (errand stats): one counter per queue and minute, kept 10 minutes.
for k = 12, #KEYS do
  redis.call('INCRBY', KEYS[k], ARGV[i])
  redis.call('EXPIRE', KEYS[k], 600)
  i = i + 1
end
-- Per class metrics, both grains; counted as the worker reports them (a late outcome of a worker
-- declared dead still ran, so its time counts even though the outcome itself changes nothing).
if metric_cells > 0 then
  for _ = 1, metric_cells do
    redis.call('HINCRBY', KEYS[9], ARGV[i], ARGV[i + 1])
    redis.call('HINCRBY', KEYS[10], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  redis.call('EXPIRE', KEYS[9], 7200)
  redis.call('EXPIRE', KEYS[10], 90000)
end
if done > 0 then
  applied = redis.call('HDEL', KEYS[1], unpack(ARGV, i, i + done - 1))
  i = i + done
end
for _ = 1, failed do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[6], ARGV[i + 1])
    applied, failures = applied + 1, failures + 1
  end
  i = i + 2
end
local soonest
if retried > 0 then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  for _ = 1, retried do
    if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
      local delay = math.max(0, tonumber(ARGV[i + 1]))
      if redis.call('ZADD', KEYS[7], now + delay, ARGV[i + 2]) == 1 and string.byte(ARGV[i + 2], 1) == 33 then
        redis.call('INCR', KEYS[11]) -- '!': a retry, not an unknown job put back
      end
      applied, failures = applied + 1, failures + 1
      if not soonest or delay < soonest then soonest = delay end
    end
    i = i + 3
  end
end
if applied > 0 then
  redis.call('INCRBY', KEYS[2], applied)
  redis.call('INCRBY', KEYS[4], applied)
end
if failures > 0 then
  redis.call('INCRBY', KEYS[3], failures)
  redis.call('INCRBY', KEYS[5], failures)
end
local started = tonumber(ARGV[5])
if started > 0 and redis.call('EXISTS', KEYS[8]) == 1 and started > (tonumber(redis.call('HGET', KEYS[8], 'started')) or 0) then
  redis.call('HSET', KEYS[8], 'started', ARGV[5])
end
if soonest then
  -- '@<ms>': a job falls due in that many ms (relative, so no clock but Redis's is involved).
  redis.call('PUBLISH', ARGV[4], '@' .. string.format('%d', soonest))
end
return applied
