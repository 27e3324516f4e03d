-- failed-requeue.lua: push the jobs of staged failure entries (see failed-filter.lua) and drop them from the staging list.
-- KEYS[1] <ns>:errand:failed-staging (list)   KEYS[2] <ns>:failed (list)   KEYS[3] <ns>:queues (set)
-- KEYS[4..] <ns>:queue:<q> of each queue named below, in the order of the names
-- ARGV[1] wake channel   ARGV[2] n: how many entries, from the staging list's head
-- then n triples: the entry exactly as staged, the 1-based number of its queue among the names
-- (0: no job to retry, the entry goes back to the failed list's tail), the payload to push;
-- then the queue names, one per KEYS[4..].
-- Returns how many jobs were pushed, or -1 when the staging list's head is not those n entries
-- (another caller drained it meanwhile): the caller reads it again.
local n = tonumber(ARGV[2])
local head = redis.call('LRANGE', KEYS[1], 0, n - 1)
if #head ~= n then return -1 end
for i = 1, n do
  if head[i] ~= ARGV[3 * i] then return -1 end
end
redis.call('LTRIM', KEYS[1], n, -1)
local pushed = 0
for i = 1, n do
  local q = tonumber(ARGV[3 * i + 1])
  if q == 0 then
    redis.call('RPUSH', KEYS[2], ARGV[3 * i])
  else
    redis.call('RPUSH', KEYS[3 + q], ARGV[3 * i + 2])
    redis.call('SADD', KEYS[3], ARGV[2 + 3 * n + q])
    pushed = pushed + 1
  end
end
if pushed > 0 then redis.call('PUBLISH', ARGV[1], '*') end
return pushed
