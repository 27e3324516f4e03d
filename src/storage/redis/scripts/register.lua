-- register.lua: announce a worker the way Resque does, plus errand's liveness score.
-- KEYS[1] <ns>:workers (set)   KEYS[2] <ns>:worker:<id>:started   KEYS[3] <ns>:workers:heartbeat (hash)
-- KEYS[4] <ns>:errand:alive (zset worker -> last heartbeat ms)   KEYS[5] <ns>:errand:concurrency (hash)
-- ARGV[1] worker id   ARGV[2] now (epoch ms)   ARGV[3] now as ISO 8601   ARGV[4] start time text
-- ARGV[5] concurrency (how many of its held jobs count a death if it dies, 0 = unknown; see reap.lua)
-- Returns 1.
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[5])
return 1
