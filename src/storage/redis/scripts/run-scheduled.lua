-- run-scheduled.lua: move one scheduled job (delayed enqueue or retry) to the tail of its queue now.
-- KEYS[1] <ns>:errand:schedule (zset)   KEYS[2] <ns>:queues (set)   KEYS[3] <ns>:queue:<q> (list)
-- KEYS[4] <ns>:errand:retrying (counter of the members that are retries: tag starting with '!')
-- ARGV[1] the set member exactly as stored   ARGV[2] queue name   ARGV[3] payload   ARGV[4] wake channel
-- Returns 1 when the member was there and its job queued, 0 when it is gone (promoted or removed).
-- One step, so a concurrent promote cannot queue the same job a second time.
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  return 0
end
if string.byte(ARGV[1], 1) == 33 then
  redis.call('DECR', KEYS[4])
end
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
