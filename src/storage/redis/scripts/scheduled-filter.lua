-- scheduled-filter.lua: run now (to the tail of their queues, in due order) or remove every
-- scheduled job (delayed enqueue or retry) matching a filter, in one pass over the set.
-- KEYS[1] <ns>:errand:schedule (zset member "unique-tag\nqueue\npayload", score due ms)   KEYS[2] <ns>:queues (set)
-- KEYS[3] <ns>:errand:retrying (counter of the members that are retries: tag starting with '!')
-- ARGV[1] 'run' or 'remove'   ARGV[2] class ('' = any)   ARGV[3] queue ('' = any)
-- ARGV[4] queue key prefix   ARGV[5] wake channel
-- Returns how many entries matched (and were run or removed).
-- Why one script: a ZREM per entry from the client is a round trip each, and a promote running in
-- between could queue a job the client is also running; here the read, the removal and the push
-- are one atomic step, O(n) in the set's size (read in chunks, matches removed as found).
-- The queue keys come from the members, so they cannot be declared in KEYS (as in promote.lua).
-- An empty filter matches every entry; a class filter only payloads that decode to that class.
local mode, class, queue = ARGV[1], ARGV[2], ARGV[3]
local matched, chunk, start, retries = 0, 500, 0, 0
local woken = {}
while true do
  local members = redis.call('ZRANGE', KEYS[1], start, start + chunk - 1)
  if #members == 0 then break end
  local kept = 0
  for _, member in ipairs(members) do
    local first = string.find(member, '\n', 1, true)
    local second = first and string.find(member, '\n', first + 1, true)
    local take = false
    if second then
      local q, payload = string.sub(member, first + 1, second - 1), string.sub(member, second + 1)
      take = queue == '' or q == queue
      if take and class ~= '' then
        local ok, job = pcall(cjson.decode, payload)
        take = ok and type(job) == 'table' and job.class == class
      end
      if take then
        redis.call('ZREM', KEYS[1], member)
        matched = matched + 1
        if string.byte(member, 1) == 33 then retries = retries + 1 end
        if mode == 'run' then
          redis.call('RPUSH', ARGV[4] .. q, payload)
          if not woken[q] then
            woken[q] = true
            redis.call('SADD', KEYS[2], q)
          end
        end
      end
    end
    if not take then kept = kept + 1 end
  end
  -- Removed members shifted the rest down: the next chunk starts after the ones kept.
  start = start + kept
end
if retries > 0 then
  redis.call('DECRBY', KEYS[3], retries)
end
if mode == 'run' and matched > 0 then
  redis.call('PUBLISH', ARGV[5], '*')
end
return matched
