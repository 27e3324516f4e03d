// resque-scheduler interop (issue #12 item 5), on real Redis with a real in-process worker:
// delayed jobs written byte for byte as Ruby's resque-scheduler 5 writes them
// (Resque.enqueue_at / enqueue_in: delayed_queue_schedule, delayed:<ts>, timestamps:<json>) are
// promoted by errand's maintenance when due (promote-delayed.lua), leaving exactly the keys
// resque-scheduler's own pass would leave and pushing the JSON Resque.push would push.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createErrand, defineJob } from '../src/index.ts';
import { openStore } from '../src/storage/open.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** What Resque.enqueue_at(ts, ...) writes (delaying_extensions.rb#delayed_push), under Redis::Namespace `ns`. */
async function rubyEnqueueAt(redis: Redis, ns: string, ts: number, item: string): Promise<void> {
  await redis.rpush(`${ns}:delayed:${ts}`, item);
  await redis.sadd(`${ns}:timestamps:${item}`, `delayed:${ts}`);
  await redis.zadd(`${ns}:delayed_queue_schedule`, ts, String(ts));
}

async function redisSeconds(redis: Redis): Promise<number> {
  return Number((await redis.time())[0]);
}

/** Every key of the namespace a Ruby scheduler or a Resque worker would look at (not errand's own, nor worker registration). */
async function resqueKeys(redis: Redis, ns: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const keys = (await redis.keys(`${ns}:*`)).filter((key) => /^(delayed|timestamps:|queue:|queues$)/.test(key.slice(ns.length + 1))).sort();
  for (const key of keys) {
    const name = key.slice(ns.length + 1);
    const type = await redis.type(key);
    if (type === 'list') out[name] = await redis.lrange(key, 0, -1);
    else if (type === 'set') out[name] = (await redis.smembers(key)).sort();
    else if (type === 'zset') out[name] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else out[name] = type;
  }
  return out;
}

type Options = Parameters<typeof createErrand>[0];
async function withWorld(fn: (redis: Redis, ns: string, errand: ReturnType<typeof createErrand>) => Promise<void>, options: Options = {}): Promise<void> {
  const ns = uniqueNamespace('errand-rs');
  const redis = new Redis(REDIS_URL);
  const errand = createErrand({ url: REDIS_URL, namespace: ns, logger: quiet, ...options });
  try {
    await fn(redis, ns, errand);
  } finally {
    await errand.close();
    redis.disconnect();
    await deleteNamespace(ns);
  }
}

// Items as Ruby's JSON.generate writes {class:, args:, queue:}: non-ASCII raw, '/' unescaped,
// control characters as \u00XX, floats and big integers as written. cjson would change each.
const ARCHIVE = '{"class":"Archive","args":[44,"masterbrew"],"queue":"file"}';
const MAIL_1 = '{"class":"Mailer::Welcome","args":[{"to":"zoë@example.com","n":1.5,"path":"a/b"}],"queue":"mail"}';
const MAIL_2 = '{"class":"Mailer::Welcome","args":["tab\\u0000\\"q\\"",12345678901234567890,1.0e+20,null,true],"queue":"mail"}';
const PING = '{"class":"Ping","args":[],"queue":"ping"}';
const LATER = '{"class":"Later","args":[1],"queue":"file"}';

test('due Ruby-scheduled jobs are promoted by an idle worker exactly as resque-scheduler does; future ones stay', async () => {
  await withWorld(async (redis, ns, errand) => {
    const now = await redisSeconds(redis);
    const t0 = now - 120;
    const t1 = now - 60;
    const future = now + 3600;
    // A due one; two jobs at the same timestamp; the same job at three timestamps (two due, one
    // future); a future one.
    await rubyEnqueueAt(redis, ns, t0, ARCHIVE);
    await rubyEnqueueAt(redis, ns, t0, PING);
    await rubyEnqueueAt(redis, ns, t1, MAIL_1);
    await rubyEnqueueAt(redis, ns, t1, MAIL_2);
    await rubyEnqueueAt(redis, ns, t1, PING);
    await rubyEnqueueAt(redis, ns, future, PING);
    await rubyEnqueueAt(redis, ns, future, LATER);

    // The worker watches another queue, so what it promotes stays in the queues to be compared.
    const worker = errand.worker({ queues: 'elsewhere' });
    await worker.start();
    try {
      await waitFor('the due timestamps to be promoted', async () => (await redis.zcard(`${ns}:delayed_queue_schedule`)) === 1, 15_000);
      assert.deepEqual(await resqueKeys(redis, ns), {
        delayed_queue_schedule: [String(future), String(future)],
        [`delayed:${future}`]: [PING, LATER],
        // What Resque.push writes: {"class","args"}, class and args byte for byte, in due order.
        'queue:file': ['{"class":"Archive","args":[44,"masterbrew"]}'],
        'queue:mail': [
          '{"class":"Mailer::Welcome","args":[{"to":"zoë@example.com","n":1.5,"path":"a/b"}]}',
          '{"class":"Mailer::Welcome","args":["tab\\u0000\\"q\\"",12345678901234567890,1.0e+20,null,true]}',
        ],
        'queue:ping': ['{"class":"Ping","args":[]}', '{"class":"Ping","args":[]}'],
        queues: ['file', 'mail', 'ping'],
        // The reverse index keeps only the timestamps still scheduled; emptied sets are gone.
        [`timestamps:${LATER}`]: [`delayed:${future}`],
        [`timestamps:${PING}`]: [`delayed:${future}`],
      });
    } finally {
      await worker.stop();
    }
  });
});

test('a Ruby-scheduled job due in a few seconds is promoted by an idle worker at its second, not before, and runs', async () => {
  const ran: [number, string][] = [];
  const archive = defineJob({ name: 'RsArchive', queue: 'rs-file', async perform(n: number, s: string) { ran.push([n, s]); } });
  await withWorld(async (redis, ns, errand) => {
    const item = '{"class":"RsArchive","args":[7,"soon"],"queue":"rs-file"}';
    const worker = errand.worker({ queues: 'rs-file' });
    await worker.start();
    try {
      // Written after the worker's first beat, so only the heartbeat's look at the zset can find it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ts = (await redisSeconds(redis)) + 3;
      await rubyEnqueueAt(redis, ns, ts, item);
      let promotedAt = 0;
      await waitFor('the entry to be promoted', async () => {
        if ((await redis.exists(`${ns}:delayed:${ts}`)) === 1) return false;
        promotedAt = await redisSeconds(redis);
        return true;
      }, 15_000);
      assert.ok(promotedAt >= ts, `promoted at ${promotedAt}, due at ${ts}`);
      await waitFor('the promoted job to run', () => ran.length === 1, 10_000);
      assert.deepEqual(ran, [[7, 'soon']]);
      assert.deepEqual(await resqueKeys(redis, ns), { queues: ['rs-file'] });
    } finally {
      await worker.stop();
    }
  }, { jobs: [archive] });
});

// Catches: a layout option that is ignored (errand's own set written), items not byte-identical to
// Ruby's (key order, extra errand fields), a missing reverse index or zset entry, a due second
// off by the client's clock, Ruby's remove_delayed not finding errand's item, an emptied
// timestamp never retired, and such jobs never promoted.
test("createErrand({ delayed: 'resque-scheduler' }): enqueueIn writes exactly Ruby's keys, and the job runs when due", async () => {
  const ran: [number, string][] = [];
  const job = defineJob({ name: 'RsWritten', queue: 'rs-written', async perform(n: number, path: string) { ran.push([n, path]); } });
  await withWorld(async (redis, ns, errand) => {
    const before = await redisSeconds(redis);
    await errand.enqueueIn('2h', job, 1, 'a/b zoë');
    await errand.enqueueIn('2h', job, 2, 'x');
    const after = await redisSeconds(redis);
    const ts = Number((await redis.zrange(`${ns}:delayed_queue_schedule`, 0, -1))[0]);
    assert.ok(ts >= before + 7_200 && ts <= after + 7_200, `due at Redis's second + 2 h (${ts} in ${before + 7_200}..${after + 7_200})`);
    // What Ruby's Resque.enqueue_in(2.hours, RsWritten, 1, 'a/b zoë') and (…, 2, 'x') leave.
    const twin = `${ns}-ruby`;
    const items = ['{"class":"RsWritten","args":[1,"a/b zoë"],"queue":"rs-written"}', '{"class":"RsWritten","args":[2,"x"],"queue":"rs-written"}'];
    try {
      for (const item of items) await rubyEnqueueAt(redis, twin, ts, item);
      assert.deepEqual(await resqueKeys(redis, ns), await resqueKeys(redis, twin));
    } finally {
      await deleteNamespace(twin);
    }
    assert.equal(await redis.zcard(`${ns}:errand:schedule`), 0, "nothing in errand's own scheduled set");
    // Ruby's Resque.remove_delayed(RsWritten, 4, 'removed') on a job errand wrote: it searches by
    // the JSON of {class, args, queue: RsWritten's @queue}, LREMs it from each list the reverse
    // index names and SREMs the index, leaving the timestamp's zset member behind.
    await errand.enqueueIn('3s', job, 4, 'removed');
    const search = '{"class":"RsWritten","args":[4,"removed"],"queue":"rs-written"}';
    let removed = 0;
    for (const key of await redis.smembers(`${ns}:timestamps:${search}`)) {
      removed += await redis.lrem(`${ns}:${key}`, 0, search);
      await redis.srem(`${ns}:timestamps:${search}`, key);
    }
    assert.equal(removed, 1);
    assert.equal(await redis.zcard(`${ns}:delayed_queue_schedule`), 2, 'the emptied timestamp is still scheduled');
    await errand.enqueueIn('1s', job, 3, 'soon');
    const worker = errand.worker({ queues: 'rs-written' });
    await worker.start();
    try {
      await waitFor('the job due in a second to run', () => ran.length === 1, 15_000);
      // The emptied timestamp, once due, is retired by a worker pass; the 2 h one stays.
      await waitFor('the emptied timestamp to be retired', async () => (await redis.zcard(`${ns}:delayed_queue_schedule`)) === 1, 15_000);
      assert.deepEqual(await redis.zrange(`${ns}:delayed_queue_schedule`, 0, -1), [String(ts)]);
      assert.deepEqual(ran, [[3, 'soon']]);
    } finally {
      await worker.stop();
    }
  }, { delayed: 'resque-scheduler' });
});

// Items Ruby's delayed_push (or resque-web) can leave that Resque.enqueue_at itself does not
// write, and what resque-scheduler's enqueue_from_config pushes for each: custom_job_class (not
// loadable here: Resque::Job.create(queue, custom_job_class, *params)), args as Array(args)
// (Hash -> [hash], null or missing -> [], scalar -> [scalar]), no queue (NoQueueError: dropped).
const CUSTOM = '{"class":"Report","args":[1],"queue":"rep","custom_job_class":"Resque::JobWithStatus"}';
const PLAIN_JOB = '{"class":"Report","args":[2],"queue":"rep","custom_job_class":"Resque::Job"}';
const HASH_ARGS = '{"class":"Opts","args":{"a":[1,2],"b":"c/d"},"queue":"odd"}';
const NULL_ARGS = '{"class":"Nil","args":null,"queue":"odd"}';
const SCALAR_ARGS = '{"class":"Scalar","args":"x y","queue":"odd"}';
const NO_QUEUE = '{"class":"Lost","args":[3]}';
const NO_ARGS = '{"class":"Bare","queue":"odd"}';

test('odd Ruby items, a timestamp larger than one pass, an empty timestamp, and the pass bound: exact keys after each pass', async () => {
  await withWorld(async (redis, ns) => {
    const store = await openStore(REDIS_URL, { namespace: ns });
    const pass = () => store.recover({ maxDeaths: 5, promoteLimit: 3, reapDead: false });
    try {
      const now = await redisSeconds(redis);
      const [tA, tB, tC] = [now - 300, now - 200, now - 100];
      for (const item of [CUSTOM, HASH_ARGS, NULL_ARGS, SCALAR_ARGS, NO_QUEUE, NO_ARGS, PLAIN_JOB]) await rubyEnqueueAt(redis, ns, tA, item);
      // What Resque.remove_delayed leaves of a timestamp whose only job it removed: the zset member.
      await redis.zadd(`${ns}:delayed_queue_schedule`, tB, String(tB));
      await rubyEnqueueAt(redis, ns, tC, PING);
      const stillIndexed = (items: string[], ts: number) => Object.fromEntries(items.map((item) => [`timestamps:${item}`, [`delayed:${ts}`]]));

      // Pass 1 takes the limit (3) from tA: the rest of its list and its zset member stay.
      await pass();
      const pushed1 = { 'queue:rep': ['{"class":"Resque::JobWithStatus","args":[1]}'], 'queue:odd': ['{"class":"Opts","args":[{"a":[1,2],"b":"c/d"}]}', '{"class":"Nil","args":[]}'] };
      assert.deepEqual(await resqueKeys(redis, ns), {
        delayed_queue_schedule: [String(tA), String(tA), String(tB), String(tB), String(tC), String(tC)],
        [`delayed:${tA}`]: [SCALAR_ARGS, NO_QUEUE, NO_ARGS, PLAIN_JOB],
        [`delayed:${tC}`]: [PING],
        ...pushed1,
        queues: ['odd', 'rep'],
        ...stillIndexed([SCALAR_ARGS, NO_QUEUE, NO_ARGS, PLAIN_JOB], tA),
        ...stillIndexed([PING], tC),
      });

      // Pass 2: three more from tA (one dropped for want of a queue, its index cleaned too).
      await pass();
      assert.deepEqual(await resqueKeys(redis, ns), {
        delayed_queue_schedule: [String(tA), String(tA), String(tB), String(tB), String(tC), String(tC)],
        [`delayed:${tA}`]: [PLAIN_JOB],
        [`delayed:${tC}`]: [PING],
        'queue:rep': pushed1['queue:rep'],
        'queue:odd': [...pushed1['queue:odd'], '{"class":"Scalar","args":["x y"]}', '{"class":"Bare","args":[]}'],
        queues: ['odd', 'rep'],
        ...stillIndexed([PLAIN_JOB], tA),
        ...stillIndexed([PING], tC),
      });

      // Pass 3: the last of tA (custom_job_class Resque::Job keeps the class), the empty tB
      // retired, tC promoted.
      await pass();
      assert.deepEqual(await resqueKeys(redis, ns), {
        'queue:rep': [...pushed1['queue:rep'], '{"class":"Report","args":[2]}'],
        'queue:odd': [...pushed1['queue:odd'], '{"class":"Scalar","args":["x y"]}', '{"class":"Bare","args":[]}'],
        'queue:ping': ['{"class":"Ping","args":[]}'],
        queues: ['odd', 'ping', 'rep'],
      });

      // The pass bound: four empty due timestamps, a limit of 3: three retired, one left.
      for (const ts of [now - 40, now - 30, now - 20, now - 10]) await redis.zadd(`${ns}:delayed_queue_schedule`, ts, String(ts));
      await pass();
      assert.deepEqual(await redis.zrange(`${ns}:delayed_queue_schedule`, 0, -1), [String(now - 10)]);
    } finally {
      await store.close();
    }
  });
});

test("delayed: 'resque-scheduler' on a store that is not Redis, or an unknown layout, is a ConfigError at createErrand", () => {
  assert.throws(() => createErrand({ url: 'sqlite:./var/never.db', delayed: 'resque-scheduler' }), { name: 'ConfigError', message: /not Redis/ });
  assert.throws(() => createErrand({ url: REDIS_URL, delayed: 'sidekiq' as never }), { name: 'ConfigError', message: /'errand' or 'resque-scheduler'/ });
});
