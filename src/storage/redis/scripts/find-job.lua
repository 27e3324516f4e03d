-- find-job.lua: where the job with a given id is: in flight, waiting, scheduled or failed.
-- KEYS[1] <ns>:queues (set)   KEYS[2] <ns>:errand:schedule (zset)   KEYS[3] <ns>:errand:leases (zset of instances)
-- KEYS[4] <ns>:workers (set of Resque ids)   KEYS[5] <ns>:failed (list)
-- ARGV[1] namespace + ':'   ARGV[2] the job id   ARGV[3] page size (entries read per LRANGE/ZRANGE/HSCAN)
-- Returns {} when no job has that id, else one of:
--   { 'in-flight', queue, instance id, Resque id, run_at ('' if unknown), payload }
--   { 'in-flight', queue, '', Resque id, run_at, worker:<id> text } (a Ruby worker: the client takes the
--     payload out of that JSON, as cjson would reorder its keys)
--   { 'waiting', queue, position (0 = head), payload }
--   { 'scheduled', queue, due ms (text), member, payload }
--   { 'failed', index (0 = oldest), entry }
-- An O(n) admin operation over every waiting, scheduled, held and failed job: it blocks Redis
-- while it runs, so it is for an operator's look-up (dashboard, CLI), never the hot path. One
-- script, so the job cannot move between two places while it is looked for.
-- A payload matches when its decoded "id" equals ARGV[2] exactly (a failure entry: its
-- payload's id); a plain substring search only skips payloads that cannot match, and only for
-- ids JSON writes unescaped.
-- Keys not in KEYS: the queue lists, in-flight hashes, instance hashes and Resque worker keys
-- are only known from the sets read here (as in reap.lua).
local ns, id, page = ARGV[1], ARGV[2], tonumber(ARGV[3])
local plain = string.find(id, '^[%w%-_.:+]+$') ~= nil

local function id_of(text)
  if plain and not string.find(text, id, 1, true) then return nil end
  local ok, value = pcall(cjson.decode, text)
  if ok and type(value) == 'table' then return value end
  return nil
end
local function matches(text)
  local value = id_of(text)
  return value ~= nil and value.id == id
end

-- In flight: every live errand instance's hash, then Ruby workers (no errand instance) by worker:<id>.
for _, instance in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local cursor = '0'
  repeat
    local reply = redis.call('HSCAN', ns .. 'errand:inflight:' .. instance, cursor, 'COUNT', page)
    cursor = reply[1]
    local flat = reply[2]
    for i = 2, #flat, 2 do
      local newline = string.find(flat[i], '\n', 1, true)
      local payload = string.sub(flat[i], newline + 1)
      if matches(payload) then
        local resque_id = redis.call('HGET', ns .. 'errand:instance:' .. instance, 'resque') or instance
        local since = ''
        local working = id_of(redis.call('GET', ns .. 'worker:' .. resque_id) or '')
        if working and type(working.payload) == 'table' and working.payload.id == id and type(working.run_at) == 'string' then
          since = working.run_at
        end
        return { 'in-flight', string.sub(flat[i], 1, newline - 1), instance, resque_id, since, payload }
      end
    end
  until cursor == '0'
end
for _, resque_id in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  if redis.call('SCARD', ns .. 'errand:instances:' .. resque_id) == 0 then
    local text = redis.call('GET', ns .. 'worker:' .. resque_id) or ''
    local working = id_of(text)
    if working and type(working.payload) == 'table' and working.payload.id == id then
      return { 'in-flight', tostring(working.queue or ''), '', resque_id, tostring(working.run_at or ''), text }
    end
  end
end

local queues = redis.call('SMEMBERS', KEYS[1])
table.sort(queues)
for _, queue in ipairs(queues) do
  local key, start = ns .. 'queue:' .. queue, 0
  repeat
    local payloads = redis.call('LRANGE', key, start, start + page - 1)
    for i, payload in ipairs(payloads) do
      if matches(payload) then return { 'waiting', queue, start + i - 1, payload } end
    end
    start = start + page
  until #payloads < page
end

local start = 0
repeat
  local flat = redis.call('ZRANGE', KEYS[2], start, start + page - 1, 'WITHSCORES')
  for i = 1, #flat, 2 do
    local first = string.find(flat[i], '\n', 1, true)
    local second = first and string.find(flat[i], '\n', first + 1, true)
    if second then
      local payload = string.sub(flat[i], second + 1)
      if matches(payload) then return { 'scheduled', string.sub(flat[i], first + 1, second - 1), flat[i + 1], flat[i], payload } end
    end
  end
  start = start + page
until #flat < 2 * page

start = 0
repeat
  local entries = redis.call('LRANGE', KEYS[5], start, start + page - 1)
  for i, entry in ipairs(entries) do
    local value = id_of(entry)
    if value and type(value.payload) == 'table' and value.payload.id == id then return { 'failed', start + i - 1, entry } end
  end
  start = start + page
until #entries < page
return {}
