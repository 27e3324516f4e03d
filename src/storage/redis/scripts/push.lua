-- push.lua: append jobs to one queue, register the queue, and wake idle workers; or hand a lone
-- job straight to a worker parked on this queue (one hop to its start instead of a wake-up and a
-- reserve).
-- KEYS[1] <ns>:queues (set)   KEYS[2] <ns>:queue:<q> (list)
-- KEYS[3] <ns>:errand:parked:<q> (set of instances parked on this queue)
-- KEYS[4] <ns>:errand:parked-all (set of instances parked on every queue)
-- KEYS[5] <ns>:errand:leases (zset)   KEYS[6] <ns>:pause-all-workers
-- KEYS[7] <ns>:errand:paused-queues (set)   KEYS[8] <ns>:errand:token (token counter)
-- ARGV[1] queue name   ARGV[2] wake channel   ARGV[3] namespace + ':'
-- ARGV[4] this queue's events channel   ARGV[5] the jobs' `enqueued` events (one message), or ''
-- ARGV[6..] payloads, oldest first
-- Returns the queue's new length (0 when the job was handed off).
-- Workers only sleep when every queue they watch is empty, so a wake is published only when
-- this push took the queue from empty to non-empty: one PUBLISH per burst, not per job.
-- The hand-off: a worker whose reserve took nothing parks (reserve.lua adds it to the parked
-- sets and names them in its instance's `parked` field, after a flag: whether a job handed to
-- it starts at once). A lone job pushed to an empty, unpaused queue goes to one such worker whose lease
-- is still valid by Redis's TIME: it moves into the worker's in-flight hash under a fresh token
-- in this same step (so it is never only in a message), the worker is unparked (one hand-off per
-- park), the instance's `handoff` field names the token, and token, queue and payload are
-- published on the worker's own channel. A message that never arrives costs time, not the job:
-- the worker's next reserve returns it (reserve.lua), and its death hands it back (reap.lua).
-- The `enqueued` events go out here, before the job can reach a worker, so a subscriber hears
-- `enqueued` before any `started` for it (a handed job starts one hop after this script).
-- Keys not in KEYS: the chosen worker's in-flight and instance hashes, its channel, and the
-- parked sets of its other queues are only known once it is chosen.

local function hand_off(ns)
  -- Cheapest first: with nobody parked (a busy fleet, a producer alone) this costs two reads.
  if redis.call('SCARD', KEYS[3]) == 0 and redis.call('SCARD', KEYS[4]) == 0 then
    return false
  end
  if redis.call('GET', KEYS[6]) == 'true' or redis.call('SISMEMBER', KEYS[7], ARGV[1]) == 1 then
    return false
  end
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  for _, set in ipairs({ KEYS[3], KEYS[4] }) do
    -- A few tries per set: a member whose lease ran out stays parked (it may yet renew, or
    -- recovery retires it) but is passed over.
    for _ = 1, 3 do
      local id = redis.call('SRANDMEMBER', set)
      if not id then break end
      local instance = ns .. 'errand:instance:' .. id
      local record = redis.call('HGET', instance, 'parked')
      local expires = tonumber(redis.call('ZSCORE', KEYS[5], id))
      if not record then
        redis.call('SREM', set, id)
      elseif expires and expires > now then
        -- Unparked: out of every parked set its record names (see reserve.lua).
        for parked_set in string.gmatch(string.sub(record, 3), '[^\n]+') do redis.call('SREM', parked_set, id) end
        redis.call('HDEL', instance, 'parked')
        local token = string.format('%d', redis.call('INCR', KEYS[8]))
        redis.call('HSET', ns .. 'errand:inflight:' .. id, token, ARGV[1] .. '\n' .. ARGV[6])
        local fields = { 'handoff', token }
        if string.sub(record, 1, 1) == '1' then
          fields[3], fields[4] = 'started', token
        end
        redis.call('HSET', instance, unpack(fields))
        redis.call('PUBLISH', ns .. 'errand:handoff:' .. id, token .. '\n' .. ARGV[1] .. '\n' .. ARGV[6])
        return true
      end
    end
  end
  return false
end

if ARGV[5] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
if #ARGV == 6 and redis.call('LLEN', KEYS[2]) == 0 and hand_off(ARGV[3]) then
  redis.call('SADD', KEYS[1], ARGV[1])
  return 0
end
local length = redis.call('RPUSH', KEYS[2], unpack(ARGV, 6))
redis.call('SADD', KEYS[1], ARGV[1])
if length == #ARGV - 5 then
  redis.call('PUBLISH', ARGV[2], ARGV[1])
end
return length
