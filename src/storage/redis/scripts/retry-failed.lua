-- retry-failed.lua: take one failure entry out of the failed list and queue its job again.
-- KEYS[1] <ns>:failed (list)   KEYS[2] <ns>:queues (set)   KEYS[3] <ns>:queue:<q> (list)
-- ARGV[1] the failure entry exactly as stored   ARGV[2] queue name   ARGV[3] payload   ARGV[4] wake channel
-- Returns 1 when the entry was found and its job queued, 0 when no such entry exists.
-- Matching by value (not index) stays correct while other failures are appended or removed.
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
