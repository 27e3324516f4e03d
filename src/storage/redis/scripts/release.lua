-- release.lua: put in-flight jobs back at the head of their queues (graceful stop).
-- KEYS[1] in-flight hash of the worker   KEYS[2] <ns>:queues (set)
-- ARGV[1] queue key prefix   ARGV[2] wake channel   ARGV[3..] tokens, in any order
-- Returns how many jobs went back. Tokens no longer in flight are skipped.
-- The queue keys are not in KEYS: each job's queue is read from its in-flight entry, the one
-- record of where it came from, rather than trusted from the caller (with a hash-tagged
-- namespace they share the slot of every other key).
-- Tokens grow in reservation order: pushing the newest first onto the head keeps the order
-- the jobs were queued in.
local tokens = { unpack(ARGV, 3) }
table.sort(tokens, function(a, b) return tonumber(a) > tonumber(b) end)
local count = 0
for _, token in ipairs(tokens) do
  local entry = redis.call('HGET', KEYS[1], token)
  if entry then
    local newline = string.find(entry, '\n', 1, true)
    local queue = string.sub(entry, 1, newline - 1)
    redis.call('LPUSH', ARGV[1] .. queue, string.sub(entry, newline + 1))
    redis.call('SADD', KEYS[2], queue)
    redis.call('HDEL', KEYS[1], token)
    count = count + 1
  end
end
if count > 0 then
  redis.call('PUBLISH', ARGV[2], '*')
end
return count
