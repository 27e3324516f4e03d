-- settle.lua: record the outcomes of finished jobs, many at once.
-- KEYS[1] in-flight hash of the worker   KEYS[2] <ns>:stat:processed   KEYS[3] <ns>:stat:failed
-- KEYS[4] <ns>:stat:processed:<worker>   KEYS[5] <ns>:stat:failed:<worker>
-- KEYS[6] <ns>:failed (list)   KEYS[7] <ns>:errand:schedule (zset)
-- ARGV[1] D done count   ARGV[2] F failed count   ARGV[3] R retry count   ARGV[4] wake channel
-- ARGV[5] Q queue count   ARGV[6] throughput key prefix (<ns>:errand:done:)   ARGV[7] current minute
-- ARGV[8..] Q pairs (queue, attempts finished), then D done tokens, then F pairs (token, failure
-- entry), then R triples (token, due ms, schedule member)
-- Returns the number of outcomes applied. As in Resque, every attempt counts as processed and
-- every failed attempt as failed (retried or not); the failed list holds only final failures.
-- An outcome applies only if its token is still in this worker's in-flight hash. A worker that
-- was declared dead had its jobs handed back; its late outcomes change nothing.
local done, failed, retried = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local applied, failures = 0, 0
local i = 8
-- Recent throughput per queue (errand stats): one counter per queue and minute, kept 10 minutes.
for _ = 1, tonumber(ARGV[5]) do
  local key = ARGV[6] .. ARGV[i] .. ':' .. ARGV[7]
  redis.call('INCRBY', key, ARGV[i + 1])
  redis.call('EXPIRE', key, 600)
  i = i + 2
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
local earliest
for _ = 1, retried do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[7], ARGV[i + 1], ARGV[i + 2])
    applied, failures = applied + 1, failures + 1
    if not earliest or tonumber(ARGV[i + 1]) < earliest then earliest = tonumber(ARGV[i + 1]) end
  end
  i = i + 3
end
if applied > 0 then
  redis.call('INCRBY', KEYS[2], applied)
  redis.call('INCRBY', KEYS[4], applied)
end
if failures > 0 then
  redis.call('INCRBY', KEYS[3], failures)
  redis.call('INCRBY', KEYS[5], failures)
end
if earliest then
  redis.call('PUBLISH', ARGV[4], '@' .. string.format('%d', earliest))
end
return applied
