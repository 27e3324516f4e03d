-- promote-delayed.lua: promote resque-scheduler's due delayed jobs (what Ruby's Resque.enqueue_at /
-- enqueue_in wrote) to their queues, making the key updates resque-scheduler 5's own pass makes, so
-- a shop can stop running its Ruby scheduler process and let errand workers do it.
-- KEYS[1] <ns>:delayed_queue_schedule (zset: member and score are the epoch second)
-- KEYS[2] <ns>:queues (set)
-- ARGV[1] max jobs to move   ARGV[2] key prefix '<ns>:' (the delayed:<ts>, timestamps:<json> and
-- queue:<name> keys come from the zset's members and the items, so they cannot be declared)
-- ARGV[3] wake channel
-- Returns { promoted, dropped (items without a queue), ms until the next timestamp falls due, or -1 }.
-- Why one script: resque-scheduler guards each batch with WATCH/MULTI against a concurrent
-- enqueue_at into the same list; a script is atomic, so every errand worker may run it and no
-- item is pushed twice or lost between the LRANGE and the LTRIM.
-- What it does, per due timestamp in ascending order (score <= Redis TIME in seconds, as
-- resque-scheduler compares with Time.now.to_i): take items from delayed:<ts> in order, SREM
-- 'delayed:<ts>' (the logical key: Redis::Namespace does not prefix values) from
-- timestamps:<item>, RPUSH {"class","args"} to queue:<queue> and SADD the queue to queues, as
-- Resque.push does; LTRIM what was taken; once the list is empty, DEL it and ZREM the timestamp.
-- The pushed JSON is built from the item's own bytes, not re-encoded by cjson (which would escape
-- '/', reorder keys and round numbers): Ruby decodes the item and encodes class and args again,
-- which for JSON Ruby wrote gives back the same bytes. args is normalized as Ruby's Array(args)
-- (a Hash becomes [hash], null []), and custom_job_class is honoured as below. Ruby's enqueue
-- hooks (before_delayed_enqueue, before_enqueue) are Ruby code and do not run here. An item
-- without a queue is dropped: resque-scheduler's
-- enqueue raises NoQueueError for it, its failure handler logs it, and the item is gone too.

local time = redis.call('TIME')
local now_s = tonumber(time[1])
local now_ms = now_s * 1000 + math.floor(tonumber(time[2]) / 1000)
local limit = tonumber(ARGV[1])
local prefix = ARGV[2]

-- The end (inclusive) of the JSON value starting at i, and the first byte after it.
local function value_end(s, i)
  local c = string.sub(s, i, i)
  if c == '"' then
    local j = i + 1
    while true do
      local k = string.find(s, '["\\]', j)
      if not k then return nil end
      if string.sub(s, k, k) == '\\' then j = k + 2 else return k end
    end
  elseif c == '[' or c == '{' then
    local depth, j = 0, i
    while true do
      local k = string.find(s, '[%[%]{}"]', j)
      if not k then return nil end
      local d = string.sub(s, k, k)
      if d == '"' then
        k = value_end(s, k)
        if not k then return nil end
      elseif d == '[' or d == '{' then
        depth = depth + 1
      else
        depth = depth - 1
        if depth == 0 then return k end
      end
      j = k + 1
    end
  else
    local k = string.find(s, '[,}%]%s]', i)
    return k and k - 1 or nil
  end
end

local function skip_space(s, i)
  return string.find(s, '[^%s]', i) or (#s + 1)
end

-- The raw bytes of each top-level member of a JSON object, by (decoded) name; nil if malformed.
local function members(s)
  local out = {}
  local i = skip_space(s, 1)
  if string.sub(s, i, i) ~= '{' then return nil end
  i = skip_space(s, i + 1)
  if string.sub(s, i, i) == '}' then return out end
  while true do
    if string.sub(s, i, i) ~= '"' then return nil end
    local key_end = value_end(s, i)
    if not key_end then return nil end
    local ok, name = pcall(cjson.decode, string.sub(s, i, key_end))
    if not ok then return nil end
    i = skip_space(s, key_end + 1)
    if string.sub(s, i, i) ~= ':' then return nil end
    i = skip_space(s, i + 1)
    local e = value_end(s, i)
    if not e then return nil end
    out[name] = string.sub(s, i, e)
    i = skip_space(s, e + 1)
    local c = string.sub(s, i, i)
    if c == '}' then return out end
    if c ~= ',' then return nil end
    i = skip_space(s, i + 1)
  end
end

-- { queue, '{"class":…,"args":[…]}' } for an item, or nil when it cannot be enqueued.
local function resque_job(item)
  local m = members(item)
  if not m or not m['class'] or not m['queue'] then return nil end
  local ok, queue = pcall(cjson.decode, m['queue'])
  if not ok or type(queue) ~= 'string' or queue == '' then return nil end
  local args = m['args']
  if args == nil or args == 'null' then
    args = '[]'
  elseif string.sub(args, 1, 1) ~= '[' then
    args = '[' .. args .. ']'
  end
  -- A custom_job_class other than Resque::Job is what resque-scheduler enqueues when that class
  -- cannot be loaded (its fallback; errand has no Ruby classes to ask for a `scheduled` method).
  local class = m['class']
  local custom = m['custom_job_class']
  if custom and custom ~= '"Resque::Job"' and custom ~= 'null' then class = custom end
  return { queue, '{"class":' .. class .. ',"args":' .. args .. '}' }
end

local promoted, dropped = 0, 0
-- Bounded passes as well: each pass moves an item or retires a timestamp, and the bound keeps
-- any surprise from holding Redis in a loop (a script that wrote cannot be killed).
local passes = 0
while promoted + dropped < limit and passes < limit do
  passes = passes + 1
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_s, 'LIMIT', 0, 1)
  if #due == 0 then break end
  local ts = due[1]
  local bucket = 'delayed:' .. ts
  local items = redis.call('LRANGE', prefix .. bucket, 0, limit - promoted - dropped - 1)
  for _, item in ipairs(items) do
    redis.call('SREM', prefix .. 'timestamps:' .. item, bucket)
    local job = resque_job(item)
    if job then
      redis.call('RPUSH', prefix .. 'queue:' .. job[1], job[2])
      redis.call('SADD', KEYS[2], job[1])
      promoted = promoted + 1
    else
      dropped = dropped + 1
    end
  end
  redis.call('LTRIM', prefix .. bucket, #items, -1)
  if redis.call('LLEN', prefix .. bucket) == 0 then
    redis.call('DEL', prefix .. bucket)
    redis.call('ZREM', KEYS[1], ts)
  end
end
if promoted > 0 then
  redis.call('PUBLISH', ARGV[3], '*')
end
local next_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { promoted, dropped, next_due[2] and math.max(0, math.floor(tonumber(next_due[2]) * 1000) - now_ms) or -1 }
