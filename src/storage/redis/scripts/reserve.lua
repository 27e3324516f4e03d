-- reserve.lua: move up to N jobs from a worker's queues into its in-flight hash, atomically.
-- KEYS[1] <ns>:errand:inflight:<worker> (hash token -> "queue\npayload")
-- KEYS[2] <ns>:pause-all-workers   KEYS[3] <ns>:queues (set, read when ARGV[4] is '*')
-- KEYS[4] <ns>:errand:alive (zset of live workers)   KEYS[5] <ns>:errand:token (token counter)
-- KEYS[6] <ns>:errand:reserve:<worker> (the last request: "request-id first last")
-- ARGV[1] max jobs   ARGV[2] worker id   ARGV[3] queue key prefix (<ns>:queue:)   ARGV[4] request id
-- ARGV[5..] queue names in strict priority order, or the single name '*' for all (alphabetical)
-- Returns a flat array token, queue, payload, ... (empty when paused or the worker is not alive).
-- A job is never only in the worker's memory: it leaves the queue in the same step that
-- records it in flight, which is what lets recovery hand it back if the worker dies. A worker
-- declared dead takes nothing (recovery no longer watches its hash) until it registers again.
-- Tokens come from one counter, so a restarted process reusing a worker id never overwrites
-- an entry its predecessor left in flight.
-- Idempotent per request id: when a connection drops before the reply, the client sends the
-- same request again and gets the same batch back, instead of a second batch while the first
-- sits in flight unknown to its worker.
if redis.call('GET', KEYS[2]) == 'true' or not redis.call('ZSCORE', KEYS[4], ARGV[2]) then
  return {}
end
local last = redis.call('GET', KEYS[6])
if last then
  local request, first, final = string.match(last, '^(%S+) (%d+) (%d+)$')
  if request == ARGV[4] then
    local out = {}
    for token = tonumber(first), tonumber(final) do
      local text = string.format('%d', token)
      local entry = redis.call('HGET', KEYS[1], text)
      if entry then
        local newline = string.find(entry, '\n', 1, true)
        out[#out + 1] = text
        out[#out + 1] = string.sub(entry, 1, newline - 1)
        out[#out + 1] = string.sub(entry, newline + 1)
      end
    end
    return out
  end
end
local want = tonumber(ARGV[1])
local queues
if ARGV[5] == '*' then
  queues = redis.call('SMEMBERS', KEYS[3])
  table.sort(queues)
else
  queues = { unpack(ARGV, 5) }
end
local out, fields = {}, {}
for _, queue in ipairs(queues) do
  if want <= 0 then break end
  local jobs = redis.call('LPOP', ARGV[3] .. queue, want)
  if jobs then
    for _, payload in ipairs(jobs) do
      fields[#fields + 1] = false
      fields[#fields + 1] = queue .. '\n' .. payload
      out[#out + 1] = false
      out[#out + 1] = queue
      out[#out + 1] = payload
    end
    want = want - #jobs
  end
end
if #fields > 0 then
  local last = redis.call('INCRBY', KEYS[5], #fields / 2)
  local token = last - #fields / 2
  for i = 1, #fields, 2 do
    token = token + 1
    local text = string.format('%d', token)
    fields[i] = text
    out[(i - 1) / 2 * 3 + 1] = text
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('SET', KEYS[6], ARGV[4] .. ' ' .. string.format('%d', token - #fields / 2 + 1) .. ' ' .. string.format('%d', token))
end
return out
