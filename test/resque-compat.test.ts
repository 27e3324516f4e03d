// Byte-level compatibility with Ruby Resque 3, through real `errand` processes and
// real Redis: jobs pushed as Ruby Resque pushes them run on errand workers; what errand writes
// (payloads, failure entries, worker registration, "working on", counters) is what Ruby Resque
// and resque-web read; a failure resque-web would retry is retried by `errand failed retry`.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { inWorld, waitFor } from './support/cli-harness.ts';
import { Record as RecordJob } from './fixtures/cli-jobs.ts';

const RESQUE_FAILURE_KEYS = ['failed_at', 'payload', 'exception', 'error', 'backtrace', 'worker', 'queue'];

describe('Resque 3 compatibility', { concurrency: true }, () => {
  test('a payload pushed as Ruby Resque pushes it runs on an idle errand worker (within --interval)', () => inWorld(async (world) => {
    const { proc, id } = await world.worker(['--queues', 'file', '--interval', '1']);
    // What Resque.enqueue(Archive, 44, 'masterbrew') writes: no id, no wake-up announcement.
    const payload = '{"class":"Archive","args":[44,"masterbrew"]}';
    await world.redis.multi().sadd(world.key('queues'), 'file').rpush(world.key('queue:file'), payload).exec();
    await waitFor('Archive(44, "masterbrew") to run', () => world.has('archive 44 masterbrew'), 15_000);
    await waitFor('<ns>:stat:processed to count it', async () => Number(await world.redis.get(world.key('stat:processed'))) === 1);
    assert.equal(await world.redis.llen(world.key('queue:file')), 0);
    assert.equal(await world.redis.get(world.key('stat:failed')), null);
    assert.equal(await world.redis.hlen(world.key(`errand:inflight:${id}`)), 0);
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
  }));

  test('a running worker is registered as Resque registers one: <ns>:workers host:pid:queues, heartbeat, started', () => inWorld(async (world) => {
    const { proc, id } = await world.worker(['--queues', 'critical,file']);
    assert.equal(id, `${hostname()}:${proc.pid}:critical,file`);
    assert.deepEqual(await world.redis.smembers(world.key('workers')), [id]);
    const heartbeat = await world.redis.hget(world.key('workers:heartbeat'), id);
    assert.ok(heartbeat && !Number.isNaN(Date.parse(heartbeat)), `heartbeat ${heartbeat}`);
    assert.match(heartbeat!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/, 'Time#iso8601');
    const started = await world.redis.get(world.key(`worker:${id}:started`));
    assert.ok(started && !Number.isNaN(Date.parse(started)), `started ${started}`);
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
    assert.equal(await world.redis.sismember(world.key('workers'), id), 0);
    assert.equal(await world.redis.hexists(world.key('workers:heartbeat'), id), 0);
    assert.equal(await world.redis.exists(world.key(`worker:${id}:started`)), 0);
  }));

  test('<ns>:worker:<id> holds {"queue","run_at","payload"} while a slow job runs, and goes when it ends', () => inWorld(async (world) => {
    const { proc, id } = await world.worker(['--queues', 'slow', '--interval', '1']);
    const payload = '{"class":"Sleep","args":["s",2500]}';
    await world.rpush('slow', payload);
    await waitFor('the slow job to start', () => world.has('start s'));
    const workingOn = await waitFor(`<ns>:worker:${id}`, () => world.redis.get(world.key(`worker:${id}`)), 10_000);
    const parsed = JSON.parse(workingOn) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['queue', 'run_at', 'payload']);
    assert.equal(parsed.queue, 'slow');
    assert.match(String(parsed.run_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.deepEqual(parsed.payload, JSON.parse(payload));
    await waitFor('the slow job to finish', () => world.has('sleep s'));
    await waitFor(`<ns>:worker:${id} to be removed once idle`, async () => (await world.redis.exists(world.key(`worker:${id}`))) === 0);
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
  }));

  test('a failure entry errand writes has exactly Resque\'s keys in Resque\'s order; stat:failed and stat:processed increase', () => inWorld(async (world) => {
    await world.redis.set(world.key('stat:failed'), '10');
    await world.redis.set(world.key('stat:processed'), '20');
    const payload = '{"class":"Boom","args":[7]}';
    await world.rpush('risky', payload);
    const { proc, id } = await world.worker(['--queues', 'risky']);
    const raw = await waitFor('a failure entry', () => world.redis.lindex(world.key('failed'), 0));
    const entry = JSON.parse(raw) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry), RESQUE_FAILURE_KEYS);
    assert.match(String(entry.failed_at), /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d UTC$/);
    assert.deepEqual(entry.payload, JSON.parse(payload), 'the payload exactly as it was queued');
    assert.equal(entry.exception, 'Error');
    assert.equal(entry.error, 'boom 7');
    assert.ok(Array.isArray(entry.backtrace) && entry.backtrace.length > 0 && entry.backtrace.every((line) => typeof line === 'string'));
    assert.equal(entry.worker, id);
    assert.equal(entry.queue, 'risky');
    assert.equal(await world.redis.get(world.key('stat:failed')), '11');
    assert.equal(await world.redis.get(world.key('stat:processed')), '21');
    assert.equal(await world.redis.llen(world.key('failed')), 1);
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
  }));

  test('what errand enqueues starts with "class" then "args", byte for byte as Ruby encodes them', () => inWorld(async (world) => {
    const cli = await world.run(['enqueue', 'Archive', '[44, "masterbrew"]', '--queue', 'file', ...world.store]);
    assert.equal(cli.code, 0, cli.stderr);
    await world.client().enqueue(RecordJob, 'r1');
    await world.client().enqueueBulk(RecordJob, [['r2'], [3]]);
    const [fromCli] = await world.redis.lrange(world.key('queue:file'), 0, -1);
    const fromClient = await world.redis.lrange(world.key('queue:default'), 0, -1);
    assert.ok(fromCli!.startsWith('{"class":"Archive","args":[44,"masterbrew"],'), fromCli);
    assert.deepEqual(fromClient.map((p) => p.slice(0, p.indexOf('],') + 2)), ['{"class":"Record","args":["r1"],', '{"class":"Record","args":["r2"],', '{"class":"Record","args":[3],']);
    for (const payload of [fromCli!, ...fromClient]) {
      assert.deepEqual(Object.keys(JSON.parse(payload) as object).slice(0, 2), ['class', 'args']);
    }
  }));

  test('a failure resque-web would retry (payload {class,args}) is retried by `errand failed retry` and runs', () => inWorld(async (world) => {
    // As Ruby Resque 3's Failure::Redis#save writes it for Archive.perform(44, "masterbrew").
    const rubyEntry = JSON.stringify({
      failed_at: '2024/05/06 07:08:09 UTC',
      payload: { class: 'Archive', args: [44, 'masterbrew'] },
      exception: 'Errno::ECONNREFUSED',
      error: 'Connection refused - connect(2)',
      backtrace: ['/app/jobs/archive.rb:12:in `perform\''],
      worker: 'rubyhost:31337:file',
      queue: 'file',
    });
    await world.redis.rpush(world.key('failed'), rubyEntry);
    // Named as an operator would: by the reference `failed list` prints for it.
    const ref = /^(0:[0-9a-f]{16}) /m.exec((await world.run(['failed', 'list', ...world.store])).stdout)?.[1];
    assert.ok(ref, 'failed list gives the entry a reference');
    const retry = await world.run(['failed', 'retry', ref, ...world.store]);
    assert.equal(retry.code, 0, retry.stderr);
    const queued = await world.redis.lrange(world.key('queue:file'), 0, -1);
    assert.equal(queued.length, 1);
    assert.ok(queued[0]!.startsWith('{"class":"Archive","args":[44,"masterbrew"]'), queued[0]);
    assert.ok(await world.redis.sismember(world.key('queues'), 'file'));
    const { proc } = await world.worker(['--queues', 'file']);
    await waitFor('the retried job to run', () => world.has('archive 44 masterbrew'));
    assert.equal(await world.redis.llen(world.key('failed')), 0);
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
  }));
});
