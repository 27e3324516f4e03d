-- failed-filter.lua: take every failure entry matching a filter off the failed list, in one pass.
-- KEYS[1] <ns>:failed (list)   KEYS[2] <ns>:errand:failed-rebuild (scratch list)
-- KEYS[3] <ns>:errand:failed-staging (list: entries whose jobs the caller will push, see failed-requeue.lua)
-- ARGV[1] 'remove' (drop matches) or 'stage' (append them to KEYS[3])
-- ARGV[2] class ('' = any)   ARGV[3] queue ('' = any)   ARGV[4] error substring ('' = any)
-- Returns how many entries matched.
-- Why a rebuild: one LREM per entry walks the list each time (quadratic on a long list); this
-- reads it once in chunks, appends the entries that stay to a scratch list and renames that over
-- the list: O(n), atomic. The job a retry pushes is made by the client (re-encoding a payload
-- here with cjson would reorder its keys and round its numbers), so matches are staged, not pushed.
-- An empty filter matches every entry, JSON or not; a non-empty one only entries that decode.
local class, queue, err = ARGV[2], ARGV[3], ARGV[4]
local any = class == '' and queue == '' and err == ''
local function matches(raw)
  if any then return true end
  local ok, entry = pcall(cjson.decode, raw)
  if not ok or type(entry) ~= 'table' then return false end
  if class ~= '' then
    local payload = entry.payload
    if type(payload) ~= 'table' or payload.class ~= class then return false end
  end
  if queue ~= '' and entry.queue ~= queue then return false end
  if err ~= '' then
    local e, m = entry.exception, entry.error
    local found = (type(e) == 'string' and string.find(e, err, 1, true)) or (type(m) == 'string' and string.find(m, err, 1, true))
    if not found then return false end
  end
  return true
end

redis.call('DEL', KEYS[2])
local length = redis.call('LLEN', KEYS[1])
local matched, chunk = 0, 500
for start = 0, length - 1, chunk do
  local keep, take = {}, {}
  for _, raw in ipairs(redis.call('LRANGE', KEYS[1], start, start + chunk - 1)) do
    if matches(raw) then take[#take + 1] = raw else keep[#keep + 1] = raw end
  end
  matched = matched + #take
  if #keep > 0 then redis.call('RPUSH', KEYS[2], unpack(keep)) end
  if #take > 0 and ARGV[1] == 'stage' then redis.call('RPUSH', KEYS[3], unpack(take)) end
end
if matched == 0 then
  redis.call('DEL', KEYS[2])
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[1])
else
  redis.call('DEL', KEYS[1])
end
return matched
