-- reserve.lua: move up to N jobs from a worker instance's queues into its in-flight hash, atomically.
-- KEYS[1] <ns>:errand:inflight:<instance> (hash token -> "queue\npayload")
-- KEYS[2] <ns>:pause-all-workers   KEYS[3] <ns>:queues (set, read when ARGV[5] is '*')
-- KEYS[4] <ns>:errand:leases (zset of live instances)   KEYS[5] <ns>:errand:token (token counter)
-- KEYS[6] <ns>:errand:reserve:<instance> (the last request: "request-id first last")
-- KEYS[7] <ns>:errand:instance:<instance> (hash; field `started` is the started watermark)
-- KEYS[8] <ns>:errand:paused-queues (set of queue names this reserve skips)
-- KEYS[9..] the queues in strict priority order (<ns>:queue:<name>), when named
-- ARGV[1] max jobs   ARGV[2] instance id   ARGV[3] request id   ARGV[4] jobs that start at once
-- ARGV[5] '*' for every queue (alphabetical; their keys come from <ns>:queues, so they cannot be
-- declared), else ''   ARGV[6] queue key prefix (<ns>:queue:)
-- ARGV[7] the registration this reserve belongs to ('' for any; see below)
-- ARGV[8] '' not to park; '0' or '1' to park when this reserve takes nothing ('1': a job handed
-- over then starts at once; see push.lua)   ARGV[9] namespace + ':'
-- ARGV[10] the token of a hand-off the worker already has by its message, or ''
-- ARGV[11..] queue names, as KEYS[9..]
-- Returns a flat array token, queue, payload, ... (empty when paused or the instance is not alive).
-- A paused queue is skipped as if empty; its jobs stay where they are, in order.
-- A job is never only in the worker's memory: it leaves the queue in the same step that records
-- it in flight, which is what lets recovery hand it back if the worker dies. A worker declared
-- dead takes nothing (recovery no longer watches its hash) until it registers again.
-- Tokens come from one counter, so they grow in reservation order across every instance.
-- The worker starts jobs in token order, so the first ARGV[4] jobs of this batch start now: the
-- watermark moves to the last of them here, and a death blames only tokens up to it.
-- Idempotent per request id: when a connection drops before the reply, the client sends the
-- same request again and gets the same batch back, instead of a second batch while the first
-- sits in flight unknown to its worker. The replay comes before the pause check: a batch taken
-- just before pause-all-workers was set must still reach its worker.
-- Parking (push.lua): any reserve first unparks its worker, and returns the job handed over
-- since its last reserve, if still in flight and not named in ARGV[10], ahead of the batch: the
-- hand-off's message may be lost (or late: the client drops a token it already has). The batch
-- record names that token too, so a replay returns it as well. A reserve that takes nothing
-- from the queues parks (even when it returns a hand-off: the worker waits after it, unless the
-- job was new to it, and then its next reserve comes at once).
-- The instance's `parked` field: "<0|1: a handed job starts at once>\n<parked set key>\n...",
-- the sets it was added to, so whoever unparks it (here, push.lua, reap.lua) removes it from
-- exactly those. Keys not in KEYS: those parked sets (the queues of the reserve that parked
-- the worker, which need not be this one's).
if not redis.call('ZSCORE', KEYS[4], ARGV[2]) then
  return {}
end
-- A worker's first reserve travels in the same write as its registration, before the reply
-- says which instance id it got (register.lua: the Resque id itself, unless a live instance
-- holds it). It names the id it hopes for and its registration's owner token: an id held by
-- another instance shows another owner, and then this reserve takes nothing.
if ARGV[7] ~= '' and redis.call('HGET', KEYS[7], 'owner') ~= ARGV[7] then
  return {}
end
local ns = ARGV[9]
local parked = redis.call('HGET', KEYS[7], 'parked')
if parked then
  for set in string.gmatch(string.sub(parked, 3), '[^\n]+') do redis.call('SREM', set, ARGV[2]) end
  redis.call('HDEL', KEYS[7], 'parked')
end
local handoff = redis.call('HGET', KEYS[7], 'handoff')
if handoff then
  redis.call('HDEL', KEYS[7], 'handoff')
end
local out = {}
local function add_in_flight(text)
  local entry = redis.call('HGET', KEYS[1], text)
  if entry then
    local newline = string.find(entry, '\n', 1, true)
    out[#out + 1] = text
    out[#out + 1] = string.sub(entry, 1, newline - 1)
    out[#out + 1] = string.sub(entry, newline + 1)
  end
end
local last = redis.call('GET', KEYS[6])
if last then
  local request, first, final, handed = string.match(last, '^(%S+) (%d+) (%d+) ([%d,]+)$')
  if request == ARGV[3] then
    for token in string.gmatch(handed, '[^,]+') do
      if token ~= '0' then add_in_flight(token) end
    end
    -- A job handed over since the first try (it parked when it took nothing from the queues)
    -- joins the record, so a further resend returns it too.
    if handoff and handoff ~= ARGV[10] then
      add_in_flight(handoff)
      redis.call('SET', KEYS[6], last .. ',' .. handoff)
    end
    for token = tonumber(first), tonumber(final) do
      add_in_flight(string.format('%d', token))
    end
    return out
  end
end
if handoff and handoff ~= ARGV[10] then add_in_flight(handoff) end
if redis.call('GET', KEYS[2]) == 'true' then
  return out
end
local want = tonumber(ARGV[1])
local skip = {}
if redis.call('SCARD', KEYS[8]) > 0 then
  for _, queue in ipairs(redis.call('SMEMBERS', KEYS[8])) do skip[queue] = true end
end
local names, keys = {}, {}
if ARGV[5] == '*' then
  local all = redis.call('SMEMBERS', KEYS[3])
  table.sort(all)
  for _, queue in ipairs(all) do
    if not skip[queue] then
      names[#names + 1] = queue
      keys[#keys + 1] = ARGV[6] .. queue
    end
  end
else
  for i = 9, #KEYS do
    if not skip[ARGV[i + 2]] then
      names[#names + 1] = ARGV[i + 2]
      keys[#keys + 1] = KEYS[i]
    end
  end
end
local handed_over = #out
local fields = {}
for index, key in ipairs(keys) do
  if want <= 0 then break end
  local jobs = redis.call('LPOP', key, want)
  if jobs then
    local queue = names[index]
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
local count = #fields / 2
local first_token, last_token = 1, 0
if count > 0 then
  last_token = redis.call('INCRBY', KEYS[5], count)
  first_token = last_token - count + 1
  local token = last_token - count
  for i = 1, #fields, 2 do
    token = token + 1
    local text = string.format('%d', token)
    fields[i] = text
    out[handed_over + (i - 1) / 2 * 3 + 1] = text
  end
  redis.call('HSET', KEYS[1], unpack(fields))
end
if #out > 0 then
  local handed = handed_over > 0 and out[1] or '0'
  redis.call('SET', KEYS[6], ARGV[3] .. ' ' .. string.format('%d', first_token) .. ' ' .. string.format('%d', last_token) .. ' ' .. handed)
  -- Jobs start in token order: the one handed over (the lowest token here) takes a slot first.
  local start = math.min(tonumber(ARGV[4]), #out / 3)
  if start > 0 then
    redis.call('HSET', KEYS[7], 'started', out[(start - 1) * 3 + 1])
  end
end
if count == 0 and ARGV[8] ~= '' then
  local record = { ARGV[8] }
  if ARGV[5] == '*' then
    record[2] = ns .. 'errand:parked-all'
  else
    for i = 11, #ARGV do record[#record + 1] = ns .. 'errand:parked:' .. ARGV[i] end
  end
  for i = 2, #record do redis.call('SADD', record[i], ARGV[2]) end
  redis.call('HSET', KEYS[7], 'parked', table.concat(record, '\n'))
end
return out
