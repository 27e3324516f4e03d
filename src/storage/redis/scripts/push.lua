-- push.lua: append jobs to one queue, register the queue, and wake idle workers.
-- KEYS[1] <ns>:queues (set)   KEYS[2] <ns>:queue:<q> (list)
-- ARGV[1] queue name   ARGV[2] wake channel   ARGV[3..] payloads, oldest first
-- Returns the queue's new length.
-- Workers only sleep when every queue they watch is empty, so a wake is published only when
-- this push took the queue from empty to non-empty: one PUBLISH per burst, not per job.
local length = redis.call('RPUSH', KEYS[2], unpack(ARGV, 3))
redis.call('SADD', KEYS[1], ARGV[1])
if length == #ARGV - 2 then
  redis.call('PUBLISH', ARGV[2], ARGV[1])
end
return length
