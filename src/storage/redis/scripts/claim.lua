-- claim.lua: claim one tick of a recurring schedule and enqueue its run, in one atomic step.
-- KEYS[1] <ns>:errand:schedules:<name> (hash)   KEYS[2] <ns>:errand:schedules (set of names)
-- KEYS[3] <ns>:queues (set)   KEYS[4] <ns>:queue:<q> (list the run goes to)   KEYS[5] <ns>:errand:leases (zset)
-- ARGV[1] name   ARGV[2] 'tick', or 'now' (a run outside the ticks: no cursor, no checks)
-- ARGV[3] tick ms   ARGV[4] on-time ms   ARGV[5] catch-up ms   ARGV[6] '1' to skip while the last run waits or runs
-- ARGV[7] queue   ARGV[8] job id   ARGV[9] payload   ARGV[10] caught-up payload   ARGV[11] wake channel
-- ARGV[12] queue key prefix   ARGV[13] in-flight key prefix
-- Returns { outcome, Redis's time in ms, cursor or -1 } (outcomes: see ClaimOutcome in schedule-types.ts).
-- Why one script: comparing the cursor, moving it and pushing the run together is what makes a
-- tick fire once across any number of processes, and what a crash cannot split. Due is Redis's
-- TIME, never a client's clock. The overlap check reads the last run's queue and the live
-- instances' in-flight sets; those keys come from the record and the leases, so they cannot be
-- declared in KEYS (only schedules with overlap: false pay for it).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function fmt(n) return string.format('%d', n) end
local function cursor_of()
  local c = redis.call('HGET', KEYS[1], 'cursor')
  return c and tonumber(c) or -1
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'seen', fmt(now))
if not redis.call('HGET', KEYS[1], 'created') then redis.call('HSET', KEYS[1], 'created', fmt(now)) end

local function enqueue(payload, tick)
  local length = redis.call('RPUSH', KEYS[4], payload)
  redis.call('SADD', KEYS[3], ARGV[7])
  if length == 1 then redis.call('PUBLISH', ARGV[11], ARGV[7]) end
  redis.call('HSET', KEYS[1], 'run_tick', tick, 'run_at', fmt(now), 'job', ARGV[8], 'job_queue', ARGV[7], 'job_payload', payload)
end

if ARGV[2] == 'now' then
  enqueue(ARGV[9], fmt(now))
  redis.call('HSET', KEYS[1], 'outcome', 'run-now')
  return { 'enqueued', now, cursor_of() }
end

local tick = tonumber(ARGV[3])
if tick > now then return { 'early', now, cursor_of() } end
local cursor = cursor_of()
if cursor >= tick then return { 'taken', now, cursor } end
redis.call('HSET', KEYS[1], 'cursor', ARGV[3])

local function last_run_pending()
  local job = redis.call('HGET', KEYS[1], 'job')
  if not job then return false end
  local queue = redis.call('HGET', KEYS[1], 'job_queue')
  local payload = redis.call('HGET', KEYS[1], 'job_payload')
  if queue and payload and redis.call('LPOS', ARGV[12] .. queue, payload) then return true end
  local needle = '"id":"' .. job .. '"'
  for _, instance in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
    for _, held in ipairs(redis.call('HVALS', ARGV[13] .. instance)) do
      if string.find(held, needle, 1, true) then return true end
    end
  end
  return false
end

local late = now >= tick + tonumber(ARGV[4])
local outcome
if late and now > tick + tonumber(ARGV[5]) then
  outcome = 'missed'
elseif redis.call('HGET', KEYS[1], 'paused') == '1' then
  outcome = 'paused'
elseif ARGV[6] == '1' and last_run_pending() then
  outcome = 'overlap'
elseif late then
  outcome = 'caught-up'
  enqueue(ARGV[10], ARGV[3])
else
  outcome = 'enqueued'
  enqueue(ARGV[9], ARGV[3])
end
redis.call('HSET', KEYS[1], 'outcome', outcome)
return { outcome, now, tick }
