// The `errand` commands as a user runs them: real processes (`node bin/errand.js ...`) against
// real Redis, each test in its own namespace. Help and bad flags, an unreachable store, enqueue,
// stats, the failed list, and which queues a worker takes from (QUEUE env, strict, weighted).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inWorld, JOBS, waitFor, World, type CliResult } from './support/cli-harness.ts';

/** stderr is exactly one line `errand: <reason>`. */
function assertOneLineReason(result: CliResult, pattern?: RegExp): void {
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, /^errand: \S/);
  if (pattern) assert.match(lines[0]!, pattern);
}

/** A failure entry as Ruby Resque 3 writes it (key order included). */
function resqueFailure(job: string, args: unknown[], queue: string, error: string): string {
  return JSON.stringify({
    failed_at: '2024/01/02 03:04:05 UTC',
    payload: { class: job, args },
    exception: 'RuntimeError',
    error,
    backtrace: ['/app/jobs/archive.rb:5:in `perform\''],
    worker: 'rubyhost:4242:' + queue,
    queue,
  });
}

describe('errand commands', { concurrency: true }, () => {
  test('errand --help and every command\'s --help exit 0 and print Usage', () => inWorld(async (world) => {
    const results = await Promise.all([['--help'], ['work', '--help'], ['enqueue', '--help'], ['stats', '--help'], ['failed', '--help']].map((args) => world.run(args)));
    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Usage: errand/);
      assert.equal(result.stderr, '');
    }
  }));

  test('bad flags and arguments exit 2 with a one-line `errand: ...` reason on stderr', () => inWorld(async (world) => {
    const cases: [string[], RegExp][] = [
      [['work', '--bogus'], /--bogus/],
      [['enqueue', 'Job', '[]', '--bogus'], /--bogus/],
      [['stats', '--bogus'], /--bogus/],
      [['failed', 'list', '--bogus'], /--bogus/],
      [['nosuchcommand'], /nosuchcommand/],
      [['failed', 'retry', 'x'], /N:digest/],
      [['failed', 'retry', '0'], /position alone is refused/],
      [['failed', 'remove', '0'], /position alone is refused/],
    ];
    const results = await Promise.all(cases.map(([args]) => world.run([...args, ...world.store])));
    results.forEach((result, i) => {
      assert.equal(result.code, 2, `${cases[i]![0].join(' ')}: exit ${result.code}, stderr ${result.stderr}`);
      assertOneLineReason(result, cases[i]![1]);
    });
  }));

  test('bad flag values are refused with a one-line reason', (t) => inWorld(async (world) => {
    const cases: [string[], RegExp][] = [
      [['work', '--require', 'test/fixtures/cli-jobs.ts', '--concurrency', '0'], /--concurrency/],
      [['work', '--require', 'test/fixtures/cli-jobs.ts', '--interval', 'soon'], /--interval/],
      [['work'], /--require/],
      [['work', '--require', 'test/fixtures/cli-jobs.ts', '--dead-after', 'soon'], /--dead-after/],
      [['enqueue', 'Job', '[]', '--in', 'whenever'], /--in|duration/i],
    ];
    const results = await Promise.all(cases.map(([args]) => world.run([...args, ...world.store])));
    results.forEach((result, i) => {
      assert.notEqual(result.code, 0, cases[i]![0].join(' '));
      assertOneLineReason(result, cases[i]![1]);
    });

    await t.test('... with exit code 2, as unknown flags are', () => {
      results.forEach((result, i) => assert.equal(result.code, 2, cases[i]![0].join(' ')));
    });
  }));

  test('an unreachable store: stats, enqueue and failed list exit non-zero with a one-line reason, by themselves', () => inWorld(async (world) => {
    const url = ['--url', 'redis://127.0.0.1:1', '--namespace', world.namespace];
    const results = await Promise.all([['stats'], ['enqueue', 'Job', '[1]'], ['failed', 'list']].map((args) => world.run([...args, ...url], {}, 25_000)));
    for (const result of results) {
      assert.ok(result.code !== null && result.code !== 0, `exit ${result.code}`);
      assertOneLineReason(result, /127\.0\.0\.1:1/);
    }
  }));

  test('an unreachable store: `errand work` exits non-zero with a one-line reason, by itself', () => inWorld(async (world) => {
    const proc = world.spawn(['work', '--require', JOBS, '--url', 'redis://127.0.0.1:1', '--namespace', world.namespace]);
    const result = await proc.waitExit(30_000);
    assert.notEqual(result.code, 0);
    assertOneLineReason(result, /127\.0\.0\.1:1/);
  }));

  test('`errand work --queues a,a` exits non-zero with a one-line reason, by itself', () => inWorld(async (world) => {
    const proc = world.spawn(['work', '--require', JOBS, '--queues', 'a,a', ...world.store]);
    const result = await proc.waitExit(30_000);
    assert.notEqual(result.code, 0);
    assertOneLineReason(result, /twice/);
  }));

  test('`errand work --dead-after 1s` (under two heartbeats) exits non-zero with a one-line reason, by itself', () => inWorld(async (world) => {
    const proc = world.spawn(['work', '--require', JOBS, '--dead-after', '1s', ...world.store]);
    const result = await proc.waitExit(20_000);
    assert.notEqual(result.code, 0);
    assertOneLineReason(result, /deadAfter \(1000 ms\) must be at least twice the heartbeat interval/);
  }));

  test('enqueue writes a Resque payload to <ns>:queue:<q> and adds the queue to <ns>:queues', () => inWorld(async (world) => {
    const result = await world.run(['enqueue', 'Job', '[1,"a"]', '--queue', 'q', ...world.store]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /enqueued Job \S+ on q/);
    const queued = await world.redis.lrange(world.key('queue:q'), 0, -1);
    assert.equal(queued.length, 1);
    assert.ok(queued[0]!.startsWith('{"class":"Job","args":[1,"a"]'), queued[0]);
    assert.deepEqual(await world.redis.smembers(world.key('queues')), ['q']);

    // With --require the job's own queue is used; without either, "default".
    const [own, fallback] = await Promise.all([
      // The TypeScript source itself, not its test build: this loads a .ts job file through tsx.
      world.run(['enqueue', 'Archive', '[44,"masterbrew"]', '--require', 'test/fixtures/cli-jobs.ts', ...world.store]),
      world.run(['enqueue', 'Other', ...world.store]),
    ]);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(fallback.code, 0, fallback.stderr);
    assert.ok((await world.redis.lindex(world.key('queue:file'), 0))!.startsWith('{"class":"Archive","args":[44,"masterbrew"]'));
    assert.ok((await world.redis.lindex(world.key('queue:default'), 0))!.startsWith('{"class":"Other","args":[]'));
    assert.deepEqual((await world.redis.smembers(world.key('queues'))).sort(), ['default', 'file', 'q']);
  }));

  test('enqueue with args that are not JSON, or not an array, fails clearly and writes nothing', () => inWorld(async (world) => {
    const [notJson, notArray] = await Promise.all([
      world.run(['enqueue', 'Job', '[1,', '--queue', 'q', ...world.store]),
      world.run(['enqueue', 'Job', '{"a":1}', '--queue', 'q', ...world.store]),
    ]);
    assert.notEqual(notJson.code, 0);
    assertOneLineReason(notJson, /not JSON/);
    assert.notEqual(notArray.code, 0);
    assertOneLineReason(notArray, /array/);
    assert.equal(await world.redis.exists(world.key('queue:q'), world.key('queues')), 0);
  }));

  test('stats shows queue sizes and the failed count; --json parses', () => inWorld(async (world) => {
    await world.rpush('email', World.payload('Mail', [1]), World.payload('Mail', [2]), World.payload('Mail', [3]));
    await world.rpush('reports', World.payload('Report', [1]));
    await world.redis.rpush(world.key('failed'), resqueFailure('Mail', [9], 'email', 'smtp down'), resqueFailure('Mail', [8], 'email', 'smtp down'));
    await world.redis.set(world.key('stat:failed'), '5');
    await world.redis.set(world.key('stat:processed'), '17');
    const [text, json] = await Promise.all([world.run(['stats', ...world.store]), world.run(['stats', '--json', ...world.store])]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^email\s+3\b/m);
    assert.match(text.stdout, /^reports\s+1\b/m);
    assert.match(text.stdout, /processed 17\b/);
    assert.match(text.stdout, /failed 5 \(2 in the failed list\)/);
    assert.equal(json.code, 0, json.stderr);
    const stats = JSON.parse(json.stdout) as { processed: number; failed: number; failedCount: number; queues: { name: string; size: number }[]; workers: unknown[] };
    assert.equal(stats.processed, 17);
    assert.equal(stats.failed, 5);
    assert.equal(stats.failedCount, 2);
    assert.deepEqual(stats.queues.map((q) => [q.name, q.size]).sort(), [['email', 3], ['reports', 1]]);
    assert.deepEqual(stats.workers, []);
  }));

  // Catches: pause/resume not reaching the store, a list that does not show the pause (or hides
  // a paused queue that holds no job yet), a missing NAME accepted.
  test('queues: list with sizes, pause NAME and resume NAME change the store; a NAME is required', () => inWorld(async (world) => {
    await world.rpush('email', World.payload('Mail', [1]), World.payload('Mail', [2]));
    const paused = await world.run(['queues', 'pause', 'email', ...world.store]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(await world.redis.sismember(world.key('errand:paused-queues'), 'email'), 1);
    assert.equal((await world.run(['queues', 'pause', 'later', ...world.store])).code, 0);
    const [text, json, missing] = await Promise.all([world.run(['queues', ...world.store]), world.run(['queues', '--json', ...world.store]), world.run(['queues', 'pause', ...world.store])]);
    assert.match(text.stdout, /^email  2 waiting  PAUSED$/m);
    assert.deepEqual(JSON.parse(json.stdout), [{ name: 'email', size: 2, paused: true }, { name: 'later', size: 0, paused: true }]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs a queue NAME/);
    assert.equal((await world.run(['queues', 'resume', 'email', ...world.store])).code, 0);
    assert.deepEqual(await world.redis.smembers(world.key('errand:paused-queues')), ['later']);
  }));

  test('failed list prints N:digest; retry and remove take it, and change nothing when the list moved', () => inWorld(async (world) => {
    const entries = [
      resqueFailure('Record', ['f0'], 'fq', 'boom 0'),
      resqueFailure('Record', ['f1'], 'fq', 'boom 1'),
      resqueFailure('Record', ['f2'], 'other', 'boom 2'),
    ];
    await world.redis.rpush(world.key('failed'), ...entries);
    const refs = entries.map((e, i) => `${i}:${createHash('sha256').update(e).digest('hex').slice(0, 16)}`);

    const list = await world.run(['failed', 'list', ...world.store]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${refs[0]}\\s+2024/01/02 03:04:05 UTC\\s+Record\\s+on fq\\s+RuntimeError: boom 0$`, 'm'));
    assert.match(list.stdout, new RegExp(`^${refs[2]} .*Record\\s+on other\\s+RuntimeError: boom 2$`, 'm'));
    assert.match(list.stdout, /3 of 3 failures shown/);
    const json = await world.run(['failed', 'list', '--json', '--offset', '1', '--limit', '1', ...world.store]);
    assert.equal(json.code, 0, json.stderr);
    const shown = JSON.parse(json.stdout) as { index: number; ref: string; error: string; payload: unknown }[];
    assert.equal(shown.length, 1);
    assert.equal(shown[0]!.index, 1);
    assert.equal(shown[0]!.ref, refs[1]);
    assert.equal(shown[0]!.error, 'boom 1');
    assert.deepEqual(shown[0]!.payload, { class: 'Record', args: ['f1'] });

    // The list moves between list and retry (the first entry goes elsewhere): position 0 now
    // holds f1, so f0's reference is refused for retry and remove alike, and nothing changes.
    await world.redis.lpop(world.key('failed'));
    for (const action of ['retry', 'remove']) {
      const moved = await world.run(['failed', action, refs[0]!, ...world.store]);
      assert.notEqual(moved.code, 0, `${action} of a moved entry refused`);
      assertOneLineReason(moved, /no longer 0:[0-9a-f]{16} \(the list moved\); nothing changed/);
    }
    assert.deepEqual(await world.redis.lrange(world.key('failed'), 0, -1), entries.slice(1));
    assert.equal(await world.redis.llen(world.key('queue:fq')), 0, 'nothing was queued');
    await world.redis.lpush(world.key('failed'), entries[0]!);

    const retry = await world.run(['failed', 'retry', refs[0]!, ...world.store]);
    assert.equal(retry.code, 0, retry.stderr);
    const requeued = await world.redis.lrange(world.key('queue:fq'), 0, -1);
    assert.equal(requeued.length, 1);
    assert.ok(requeued[0]!.startsWith('{"class":"Record","args":["f0"]'), requeued[0]);
    assert.ok(await world.redis.sismember(world.key('queues'), 'fq'));
    assert.deepEqual(await world.redis.lrange(world.key('failed'), 0, -1), entries.slice(1));

    // f1 is at position 0 now: it is named by its new position and the same digest.
    const f1 = refs[1]!.replace(/^1:/, '0:');
    const remove = await world.run(['failed', 'remove', `#${f1}`, ...world.store]);
    assert.equal(remove.code, 0, remove.stderr);
    assert.deepEqual(await world.redis.lrange(world.key('failed'), 0, -1), entries.slice(2));

    const missing = await world.run(['failed', 'retry', `7:${'0'.repeat(16)}`, ...world.store]);
    assert.notEqual(missing.code, 0);
    assertOneLineReason(missing, /#7/);

    const clear = await world.run(['failed', 'clear', ...world.store]);
    assert.equal(clear.code, 0, clear.stderr);
    assert.match(clear.stdout, /cleared 1 failures?/);
    assert.equal(await world.redis.llen(world.key('failed')), 0);

    // retry all: job entries go back to their queues; one whose payload was never a job stays.
    const notAJob = JSON.stringify({ failed_at: '2024/01/02 03:04:05 UTC', payload: 'garbage{', exception: 'MalformedPayloadError', error: 'not JSON', backtrace: [], worker: 'h:1:x', queue: 'x' });
    await world.redis.rpush(world.key('failed'), resqueFailure('Record', ['a1'], 'ra', 'e'), notAJob, resqueFailure('Record', ['b1'], 'rb', 'e'));
    const all = await world.run(['failed', 'retry', 'all', ...world.store]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /retried 2, 1 could not be retried/);
    assert.ok((await world.redis.lindex(world.key('queue:ra'), 0))!.startsWith('{"class":"Record","args":["a1"]'));
    assert.ok((await world.redis.lindex(world.key('queue:rb'), 0))!.startsWith('{"class":"Record","args":["b1"]'));
    assert.deepEqual(await world.redis.lrange(world.key('failed'), 0, -1), [notAJob]);
  }));

  test('a worker started with QUEUE=x (no --queues) takes from x only', () => inWorld(async (world) => {
    await world.rpush('x', World.payload('Record', ['x1']));
    await world.rpush('y', World.payload('Record', ['y1']));
    const { proc, id } = await world.worker([], { QUEUE: 'x' });
    assert.match(id, /:x$/);
    await waitFor('the job on x to run', () => world.has('record x1'));
    assert.equal(await world.redis.llen(world.key('queue:x')), 0);
    assert.equal(await world.redis.llen(world.key('queue:y')), 1);
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
    assert.deepEqual(world.lines(), ['record x1']);
  }));

  test('--queues a,b is strict: with jobs in both, all of a\'s run before any of b\'s', () => inWorld(async (world) => {
    // Enqueued interleaved, b first, so arrival order would give a different answer.
    for (let i = 1; i <= 5; i++) {
      await world.rpush('b', World.payload('Record', [`b${i}`]));
      await world.rpush('a', World.payload('Record', [`a${i}`]));
    }
    const { proc } = await world.worker(['--queues', 'a,b', '--concurrency', '1']);
    await waitFor('all ten jobs to run', () => world.lines().length === 10);
    assert.deepEqual(world.lines(), [1, 2, 3, 4, 5].map((i) => `record a${i}`).concat([1, 2, 3, 4, 5].map((i) => `record b${i}`)));
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
  }));

  test('--queues a:3,b:1 (weighted) interleaves the queues, favouring a, each in its own order', () => inWorld(async (world) => {
    // Jobs of 30 ms keep the prefetch at one job, so with concurrency 1 every reserve is a fresh
    // weighted draw: about one in four takes from b while both queues hold jobs.
    const n = 40;
    await world.rpush('a', ...Array.from({ length: n }, (_, i) => World.payload('Sleep', [`a${i}`, 30])));
    await world.rpush('b', ...Array.from({ length: n }, (_, i) => World.payload('Sleep', [`b${i}`, 30])));
    const { proc, id } = await world.worker(['--queues', 'a:3,b:1', '--concurrency', '1']);
    assert.match(id, /:a,b$/);
    await waitFor('all the jobs to run', () => world.lines().filter((line) => line.startsWith('sleep ')).length === 2 * n);
    const order = world.lines().filter((line) => line.startsWith('start ')).map((line) => line.slice('start '.length));
    assert.deepEqual(order.filter((job) => job.startsWith('a')), Array.from({ length: n }, (_, i) => `a${i}`), 'a in FIFO order');
    assert.deepEqual(order.filter((job) => job.startsWith('b')), Array.from({ length: n }, (_, i) => `b${i}`), 'b in FIFO order');
    // Among the first n runs (both queues non-empty throughout), b's count is Binomial(~n, 1/4):
    // mean 10. Strict a,b gives 0, strict b,a gives n; a correct build leaves [1, n/2] with a
    // probability of about 1e-4 (P(0) = 0.75^39 ~ 1e-5, P(> 20) ~ 6e-5).
    const bFirst = order.slice(0, n).filter((job) => job.startsWith('b')).length;
    assert.ok(bFirst >= 1 && bFirst <= n / 2, `${bFirst} of the first ${n} runs came from b: ${order.slice(0, n).join(' ')}`);
    proc.signal('SIGTERM');
    assert.equal((await proc.waitExit()).code, 0);
  }));
});
