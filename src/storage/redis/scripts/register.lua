-- register.lua: start a worker process instance: its lease on Redis's clock, and Resque's entry.
-- KEYS[1] <ns>:workers (set)   KEYS[2] <ns>:worker:<resque id>:started   KEYS[3] <ns>:workers:heartbeat (hash)
-- KEYS[4] <ns>:errand:leases (zset instance -> lease expiry ms)   KEYS[5] <ns>:errand:instances:<resque id> (set)
-- KEYS[6] <ns>:errand:instance:<resque id> (hash of the plain instance)
-- KEYS[7] <ns>:errand:instance:<resque id>#<suffix> (hash of the suffixed instance)
-- ARGV[1] Resque id   ARGV[2] suffixed instance id   ARGV[3] plain id allowed (1/0)   ARGV[4] now as ISO 8601
-- ARGV[5] start time text   ARGV[6] concurrency (0 = unknown)   ARGV[7] lease ms
-- ARGV[8] owner: a token unique to this registration, kept in the instance's hash (a first
-- reserve sent in the same write checks it, see reserve.lua)
-- Returns the instance id: the Resque id itself unless an instance already holds it (a container
-- restarted as PID 1 under the same hostname, whose predecessor's lease has not been reaped yet),
-- else the suffixed id. Both candidates are declared in KEYS, so the choice needs no undeclared key.
-- The lease expiry is Redis's TIME plus the worker's own lease length, never the client's clock.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local instance, hash = ARGV[2], KEYS[7]
if ARGV[3] == '1' and not redis.call('ZSCORE', KEYS[4], ARGV[1]) then
  instance, hash = ARGV[1], KEYS[6]
end
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[7]), instance)
redis.call('DEL', hash)
redis.call('HSET', hash, 'resque', ARGV[1], 'lease', ARGV[7], 'concurrency', ARGV[6], 'started', 0, 'owner', ARGV[8])
redis.call('SADD', KEYS[5], instance)
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
return instance
