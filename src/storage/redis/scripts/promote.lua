-- promote.lua: move due scheduled jobs (delayed enqueues, retries) to the tail of their queues.
-- KEYS[1] <ns>:errand:schedule (zset member "unique-tag\nqueue\npayload", score due ms)   KEYS[2] <ns>:queues (set)
-- KEYS[3] <ns>:errand:retrying (counter of the members that are retries: tag starting with '!')
-- ARGV[1] max jobs to move   ARGV[2] queue key prefix   ARGV[3] wake channel
-- Returns { promoted, ms until the next scheduled job falls due, or -1 }.
-- "Due" is by Redis's TIME, the clock the due times were computed on (see schedule.lua).
-- The queue keys come from the members, so they cannot be declared in KEYS.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local retries = 0
for _, member in ipairs(due) do
  if string.byte(member, 1) == 33 then retries = retries + 1 end
  local first = string.find(member, '\n', 1, true)
  local second = string.find(member, '\n', first + 1, true)
  local queue = string.sub(member, first + 1, second - 1)
  redis.call('RPUSH', ARGV[2] .. queue, string.sub(member, second + 1))
  redis.call('SADD', KEYS[2], queue)
  redis.call('ZREM', KEYS[1], member)
end
if #due > 0 then
  redis.call('PUBLISH', ARGV[3], '*')
end
if retries > 0 then
  redis.call('DECRBY', KEYS[3], retries)
end
-- An older errand's promote moved retries out without counting them down: an empty set mends that.
if #due > 0 and redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[3])
end
local next_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { #due, next_due[2] and math.max(0, math.floor(tonumber(next_due[2])) - now) or -1 }
