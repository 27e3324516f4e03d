-- reap.lua: retire worker instances and hand their in-flight jobs back to the head of their queues.
-- KEYS[1] <ns>:errand:leases (zset)   KEYS[2] <ns>:workers (set)   KEYS[3] <ns>:workers:heartbeat (hash)
-- KEYS[4] <ns>:failed (list)   KEYS[5] <ns>:queues (set)   KEYS[6] <ns>:stat:failed
-- ARGV[1] namespace + ':'   ARGV[2] mode: 'dead' (every instance whose lease expired by Redis's TIME)
-- or 'self' (the instance ARGV[3], retiring gracefully); in 'dead' mode ARGV[3] is '' or the latest
-- Redis time (ms) it may reap at: past it, the store froze since the caller's last heartbeat, the
-- other workers could not renew their leases either, and nobody is reaped   ARGV[4] max deaths   ARGV[5] failed_at text
-- ARGV[6] death-count TTL (s)   ARGV[7] wake channel   ARGV[8] in 'dead' mode, reap only leases expired
-- for longer than this many ms (a renewal a little late does not make a live worker dead)
-- Returns { requeued, poisoned, instance id, instance id, ... }.
-- Keys not in KEYS: which instances are dead is only known here, so their in-flight hashes,
-- instance hashes and Resque entries, the queues their jobs go back to and the parked sets they
-- leave (named in the instance's `parked` field, see reserve.lua) cannot be declared beforehand
-- (with a hash-tagged namespace they share the slot of every other key).
-- In 'dead' mode a job counts a death (keyed by its payload's SHA1, so the count follows the job
-- wherever it is retried) only when the instance had started it: its token is at most the
-- instance's started watermark (tokens grow in reservation order and jobs start in that order).
-- Prefetched jobs that never started are never blamed. At max deaths a job goes to failed as a
-- poison job instead of back to a queue. A graceful 'self' retire counts nothing.
-- Resque's entry for the Resque id (workers set, worker:<id>, started, heartbeat, per-worker
-- stats) goes only with the last live instance showing that id.
local ns, mode = ARGV[1], ARGV[2]
local out_of_contact = { 0, 0 }
local ids
if mode == 'dead' then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  if ARGV[3] ~= '' and now > tonumber(ARGV[3]) then
    return out_of_contact
  end
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - (tonumber(ARGV[8]) or 0)))
else
  ids = { ARGV[3] }
end
local max_deaths, ttl = tonumber(ARGV[4]), tonumber(ARGV[6])
local requeued, poisoned = 0, 0
local out = { 0, 0 }
for _, id in ipairs(ids) do
  local inflight = ns .. 'errand:inflight:' .. id
  local instance = ns .. 'errand:instance:' .. id
  local resque_id = redis.call('HGET', instance, 'resque') or id
  local started = tonumber(redis.call('HGET', instance, 'started')) or 0
  local flat = redis.call('HGETALL', inflight)
  local entries = {}
  for i = 1, #flat, 2 do
    entries[#entries + 1] = { tonumber(flat[i]), flat[i + 1] }
  end
  table.sort(entries, function(a, b) return a[1] > b[1] end)
  local poison = {}
  for _, item in ipairs(entries) do
    local entry = item[2]
    local newline = string.find(entry, '\n', 1, true)
    local queue, payload = string.sub(entry, 1, newline - 1), string.sub(entry, newline + 1)
    local deaths = 0
    local deaths_key = ns .. 'errand:deaths:' .. redis.sha1hex(payload)
    if mode == 'dead' and item[1] <= started then
      deaths = redis.call('INCR', deaths_key)
      redis.call('EXPIRE', deaths_key, ttl)
    end
    if deaths >= max_deaths then
      local ok = pcall(cjson.decode, payload)
      local encoded = ok and payload or cjson.encode(payload)
      poison[#poison + 1] = ('{"failed_at":' .. cjson.encode(ARGV[5]) .. ',"payload":' .. encoded ..
        ',"exception":"PoisonJobError","error":' ..
        cjson.encode('job was in flight when its worker died ' .. deaths .. ' times: moved to failed so it stops killing workers') ..
        ',"backtrace":[],"worker":' .. cjson.encode(resque_id) .. ',"queue":' .. cjson.encode(queue) .. '}')
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
  -- A parked instance leaves the parked sets of its queues (push.lua would pass it over anyway).
  local parked = redis.call('HGET', instance, 'parked')
  if parked then
    for set in string.gmatch(string.sub(parked, 3), '[^\n]+') do redis.call('SREM', set, id) end
  end
  redis.call('DEL', inflight, instance, ns .. 'errand:reserve:' .. id)
  redis.call('ZREM', KEYS[1], id)
  local shown = ns .. 'errand:instances:' .. resque_id
  redis.call('SREM', shown, id)
  if redis.call('SCARD', shown) == 0 then
    redis.call('DEL', ns .. 'worker:' .. resque_id, ns .. 'worker:' .. resque_id .. ':started',
      ns .. 'stat:processed:' .. resque_id, ns .. 'stat:failed:' .. resque_id)
    redis.call('SREM', KEYS[2], resque_id)
    redis.call('HDEL', KEYS[3], resque_id)
  end
  out[#out + 1] = id
end
if requeued > 0 then
  redis.call('PUBLISH', ARGV[7], '*')
end
out[1], out[2] = requeued, poisoned
return out
