-- reap.lua: retire workers and hand their in-flight jobs back to the head of their queues.
-- KEYS[1] <ns>:errand:alive (zset)   KEYS[2] <ns>:workers (set)   KEYS[3] <ns>:workers:heartbeat (hash)
-- KEYS[4] <ns>:failed (list)   KEYS[5] <ns>:queues (set)   KEYS[6] <ns>:stat:failed
-- ARGV[1] namespace + ':'   ARGV[2] mode: 'dead' (heartbeat older than ARGV[3] ms) or 'self' (worker id ARGV[3])
-- ARGV[4] max deaths   ARGV[5] failed_at text   ARGV[6] death-count TTL (s)   ARGV[7] wake channel
-- Returns { requeued, poisoned, worker id, worker id, ... }.
-- In 'dead' mode a job counts a death (keyed by its payload's SHA1, so the count follows the
-- job wherever it is retried) when it is among the worker's 2 x concurrency oldest held jobs:
-- a worker runs jobs in reservation order, so those were running, while newer ones were only
-- prefetched and are not to blame. At max deaths a job goes to failed as a poison job instead
-- of back to a queue. A graceful 'self' retire counts nothing.
local ns, mode = ARGV[1], ARGV[2]
local concurrency_key = ns .. 'errand:concurrency'
local ids
if mode == 'dead' then
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
else
  ids = { ARGV[3] }
end
local max_deaths, ttl = tonumber(ARGV[4]), tonumber(ARGV[6])
local requeued, poisoned = 0, 0
local out = { 0, 0 }
for _, id in ipairs(ids) do
  local inflight = ns .. 'errand:inflight:' .. id
  local flat = redis.call('HGETALL', inflight)
  local entries = {}
  for i = 1, #flat, 2 do
    entries[#entries + 1] = { tonumber(flat[i]), flat[i + 1] }
  end
  table.sort(entries, function(a, b) return a[1] > b[1] end)
  local concurrency = tonumber(redis.call('HGET', concurrency_key, id))
  local poison = {}
  local blamed_from = (concurrency and concurrency > 0) and #entries - 2 * concurrency + 1 or 1
  for index, item in ipairs(entries) do
    local entry = item[2]
    local newline = string.find(entry, '\n', 1, true)
    local queue, payload = string.sub(entry, 1, newline - 1), string.sub(entry, newline + 1)
    local deaths = 0
    local deaths_key = ns .. 'errand:deaths:' .. redis.sha1hex(payload)
    if mode == 'dead' and index >= blamed_from then
      deaths = redis.call('INCR', deaths_key)
      redis.call('EXPIRE', deaths_key, ttl)
    end
    if deaths >= max_deaths then
      local ok = pcall(cjson.decode, payload)
      local encoded = ok and payload or cjson.encode(payload)
      poison[#poison + 1] = ('{"failed_at":' .. cjson.encode(ARGV[5]) .. ',"payload":' .. encoded ..
        ',"exception":"PoisonJobError","error":' ..
        cjson.encode('job was in flight when its worker died ' .. deaths .. ' times: moved to failed so it stops killing workers') ..
        ',"backtrace":[],"worker":' .. cjson.encode(id) .. ',"queue":' .. cjson.encode(queue) .. '}')
      redis.call('INCR', KEYS[6])
      redis.call('DEL', deaths_key)
      poisoned = poisoned + 1
    else
      redis.call('LPUSH', ns .. 'queue:' .. queue, payload)
      redis.call('SADD', KEYS[5], queue)
      requeued = requeued + 1
    end
  end
  -- Entries were gathered newest first (for LPUSH); the failed list gets them oldest first.
  for i = #poison, 1, -1 do
    redis.call('RPUSH', KEYS[4], poison[i])
  end
  redis.call('DEL', inflight, ns .. 'errand:reserve:' .. id, ns .. 'worker:' .. id, ns .. 'worker:' .. id .. ':started',
    ns .. 'stat:processed:' .. id, ns .. 'stat:failed:' .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', concurrency_key, id)
  redis.call('SREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  out[#out + 1] = id
end
if requeued > 0 then
  redis.call('PUBLISH', ARGV[7], '*')
end
out[1], out[2] = requeued, poisoned
return out
