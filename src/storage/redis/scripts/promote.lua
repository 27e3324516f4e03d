-- promote.lua: move due scheduled jobs (delayed enqueues, retries) to the tail of their queues.
-- KEYS[1] <ns>:errand:schedule (zset member "unique-tag\nqueue\npayload", score due ms)   KEYS[2] <ns>:queues (set)
-- ARGV[1] now (epoch ms)   ARGV[2] max jobs to move   ARGV[3] queue key prefix   ARGV[4] wake channel
-- Returns { promoted, due ms of the next scheduled job or -1 }.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local first = string.find(member, '\n', 1, true)
  local second = string.find(member, '\n', first + 1, true)
  local queue = string.sub(member, first + 1, second - 1)
  redis.call('RPUSH', ARGV[3] .. queue, string.sub(member, second + 1))
  redis.call('SADD', KEYS[2], queue)
  redis.call('ZREM', KEYS[1], member)
end
if #due > 0 then
  redis.call('PUBLISH', ARGV[4], '*')
end
local next_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { #due, next_due[2] and math.floor(tonumber(next_due[2])) or -1 }
