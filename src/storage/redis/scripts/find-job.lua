-- find-job.lua: one slice of the look-up of where the job with a given id is: waiting, in flight,
-- scheduled or failed. The client calls it again with the position it returns until it answers.
-- KEYS[1] <ns>:queues (set)   KEYS[2] <ns>:errand:schedule (zset)   KEYS[3] <ns>:errand:leases (zset of instances)
-- KEYS[4] <ns>:workers (set of Resque ids)   KEYS[5] <ns>:failed (list)
-- ARGV[1] namespace + ':'   ARGV[2] the job id   ARGV[3] page size (entries per LRANGE/ZRANGE/HSCAN)
-- ARGV[4] budget (entries this call may read before it returns where it stopped)
-- ARGV[5] phase to start in: 'waiting', 'in-flight', 'scheduled' or 'failed'
-- ARGV[6] the queue or instance to resume at ('' = the first)   ARGV[7] the offset there: entries
--   read from the tail (lists), the HSCAN cursor (in-flight hashes), the reverse rank (scheduled)
-- Returns {} when no job has that id, { 'more', phase, name, offset, entries read } when the budget ran out, else:
--   { 'waiting', queue, position (0 = head), payload }
--   { 'in-flight', queue, instance id, Resque id, run_at ('' if unknown), payload }
--   { 'in-flight', queue, '', Resque id, run_at, worker:<id> text } (a Ruby worker: the client takes the
--     payload out of that JSON, as cjson would reorder its keys)
--   { 'scheduled', queue, due ms (text), member, payload }
--   { 'failed', index (0 = oldest), entry }
-- Why slices: a look-up reads every waiting, held, scheduled and failed job, and one script over
-- a million entries would stop Redis (and every worker) for a second; a slice stops it for a few
-- ms. The cost is that a job can move while it is looked for, so each place is read in the
-- direction jobs move through it: queues and the failed list from the tail (pops at the head and
-- pushes at the tail never carry an entry into the part already read), the scheduled set from its
-- latest due time, and the places in a job's order of travel (waiting, in flight, then
-- scheduled or failed). Queues and instances resume by name, so one created meanwhile is not
-- skipped. A job that moves backwards during the look-up (released, promoted, retried from the
-- failed list) can be missed: the caller reports it unknown, and a second look finds it.
-- A payload matches when its decoded "id" equals ARGV[2] exactly (a failure entry: its
-- payload's id); a plain substring search only skips payloads that cannot match, and only for
-- ids JSON writes unescaped.
-- Keys not in KEYS: the queue lists, in-flight hashes, instance hashes and Resque worker keys
-- are only known from the sets read here (as in reap.lua).
local ns, id, page, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local phase, after, offset = ARGV[5], ARGV[6], ARGV[7]
local plain = string.find(id, '^[%w%-_.:+]+$') ~= nil
local spent = 0

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
local function sorted(list)
  table.sort(list)
  return list
end

-- A list read from its tail, page by page, starting `off` entries from the tail. `found(entry)`
-- says whether an entry is the job. Returns the match and its position from the head, or nil and
-- the offset reached ('more' when the budget ran out first).
local function scan_from_tail(key, off, found)
  local len = redis.call('LLEN', key)
  while off < len do
    if spent >= budget then return nil, off, true end
    local entries = redis.call('LRANGE', key, -(off + page), -(off + 1))
    for i = #entries, 1, -1 do
      if found(entries[i]) then return entries[i], len - off - (#entries - i) - 1 end
    end
    spent = spent + #entries
    off = off + #entries
    if #entries < page then break end
  end
  return nil, off, false
end

if phase == 'waiting' then
  for _, queue in ipairs(sorted(redis.call('SMEMBERS', KEYS[1]))) do
    if queue >= after then
      local payload, at, stopped = scan_from_tail(ns .. 'queue:' .. queue, queue == after and tonumber(offset) or 0, matches)
      if payload then return { 'waiting', queue, at, payload } end
      if stopped then return { 'more', 'waiting', queue, tostring(at), spent } end
    end
  end
  phase, after, offset = 'in-flight', '', '0'
end

if phase == 'in-flight' then
  -- Every live errand instance's hash, then Ruby workers (no errand instance) by worker:<id>.
  for _, instance in ipairs(sorted(redis.call('ZRANGE', KEYS[3], 0, -1))) do
    if instance >= after then
      local cursor = instance == after and offset or '0'
      repeat
        if spent >= budget then return { 'more', 'in-flight', instance, cursor, spent } end
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
        spent = spent + #flat / 2
      until cursor == '0'
    end
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
  phase, after, offset = 'scheduled', '', '0'
end

if phase == 'scheduled' then
  local start = tonumber(offset)
  repeat
    if spent >= budget then return { 'more', 'scheduled', '', tostring(start), spent } end
    local flat = redis.call('ZREVRANGE', KEYS[2], start, start + page - 1, 'WITHSCORES')
    for i = 1, #flat, 2 do
      local first = string.find(flat[i], '\n', 1, true)
      local second = first and string.find(flat[i], '\n', first + 1, true)
      if second then
        local payload = string.sub(flat[i], second + 1)
        if matches(payload) then return { 'scheduled', string.sub(flat[i], first + 1, second - 1), flat[i + 1], flat[i], payload } end
      end
    end
    spent = spent + #flat / 2
    start = start + page
  until #flat < 2 * page
  phase, after, offset = 'failed', '', '0'
end

local function failed_match(entry)
  local value = id_of(entry)
  return value ~= nil and type(value.payload) == 'table' and value.payload.id == id
end
local entry, at, stopped = scan_from_tail(KEYS[5], tonumber(offset), failed_match)
if entry then return { 'failed', at, entry } end
if stopped then return { 'more', 'failed', '', tostring(at), spent } end
return {}
