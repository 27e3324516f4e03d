-- reserve.lua: move up to N jobs from a worker's queues into its in-flight hash, atomically.
-- KEYS[1] <ns>:errand:inflight:<worker> (hash token -> "queue\npayload")
-- KEYS[2] <ns>:pause-all-workers   KEYS[3] <ns>:queues (set, read when ARGV[4] is '*')
-- ARGV[1] max jobs   ARGV[2] first token number   ARGV[3] queue key prefix (<ns>:queue:)
-- ARGV[4..] queue names in strict priority order, or the single name '*' for all (alphabetical)
-- Returns a flat array token, queue, payload, token, queue, payload ... (empty when paused).
-- A job is never only in the worker's memory: it leaves the queue in the same step that
-- records it in flight, which is what lets recovery hand it back if the worker dies.
if redis.call('GET', KEYS[2]) == 'true' then
  return {}
end
local want = tonumber(ARGV[1])
local seq = tonumber(ARGV[2])
local queues
if ARGV[4] == '*' then
  queues = redis.call('SMEMBERS', KEYS[3])
  table.sort(queues)
else
  queues = { unpack(ARGV, 4) }
end
local out, fields = {}, {}
for _, queue in ipairs(queues) do
  if want <= 0 then break end
  local jobs = redis.call('LPOP', ARGV[3] .. queue, want)
  if jobs then
    for _, payload in ipairs(jobs) do
      local token = string.format('%d', seq)
      seq = seq + 1
      fields[#fields + 1] = token
      fields[#fields + 1] = queue .. '\n' .. payload
      out[#out + 1] = token
      out[#out + 1] = queue
      out[#out + 1] = payload
    end
    want = want - #jobs
  end
end
if #fields > 0 then
  redis.call('HSET', KEYS[1], unpack(fields))
end
return out
