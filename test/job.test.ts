// Job definitions, the JSON-safety check, payloads, durations, names, queue lists, retry policy:
// the pure parts, no store needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineJob, NotJsonSafeError, ConfigError, UnrecoverableError } from '../src/index.ts';
import { assertJsonSafe } from '../src/job/json-safe.ts';
import { decodePayload, encodePayload, encodeRetry, jobIdSequence, payloadEncoder } from '../src/job/payload.ts';
import { toMs } from '../src/job/duration.ts';
import { specOf } from '../src/job/define.ts';
import { parseQueues, queueOrder } from '../src/worker/queues.ts';
import { retryDelay, failureEntry } from '../src/worker/failure.ts';

function refusal(value: unknown): NotJsonSafeError {
  try {
    assertJsonSafe(value, 'args[0]');
  } catch (error) {
    assert.ok(error instanceof NotJsonSafeError, `expected NotJsonSafeError, got ${error}`);
    return error;
  }
  assert.fail(`${String(value)} was accepted`);
}

test('JSON-safe values pass', () => {
  assertJsonSafe({ a: [1, 'x', true, null, { b: -0.5 }], 'odd key': '' }, 'args[0]');
  assertJsonSafe(Object.assign(Object.create(null), { a: 1 }), 'args[0]');
});

test('values JSON would change are refused with the path and what to pass instead', () => {
  class User { id = 7; }
  const cases: [unknown, string, RegExp][] = [
    [{ when: new Date() }, 'args[0].when', /Date instance: pass date\.toISOString\(\)/],
    [{ user: new User() }, 'args[0].user', /User instance: pass its id/],
    [new Map([[1, 2]]), 'args[0]', /Map instance/],
    [[1, new Set([1])], 'args[0][1]', /Set instance: pass \[\.\.\.set\]/],
    [Buffer.from('x'), 'args[0]', /base64/],
    [{ a: undefined }, 'args[0].a', /undefined/],
    [{ n: 10n }, 'args[0].n', /BigInt/],
    [{ n: NaN }, 'args[0].n', /NaN/],
    [{ n: Infinity }, 'args[0].n', /Infinity/],
    [{ f: () => 1 }, 'args[0].f', /function/],
    [{ s: Symbol('x') }, 'args[0].s', /symbol/],
    [{ 'my-key': new Date() }, 'args[0]["my-key"]', /Date/],
    [[1, , 3], 'args[0][1]', /sparse/],
  ];
  for (const [value, path, message] of cases) {
    const error = refusal(value);
    assert.equal(error.path, path);
    assert.match(error.message, message);
    assert.ok(error.message.startsWith(path), error.message);
    assert.equal(error.code, 'ERR_NOT_JSON_SAFE');
  }
});

test('deep values are checked all the way down', () => {
  let deep: unknown = 'leaf';
  for (let i = 0; i < 200; i++) deep = { next: deep };
  assertJsonSafe(deep, 'args[0]');
  let bad: unknown = new Date();
  for (let i = 0; i < 200; i++) bad = [bad];
  assert.match(refusal(bad).message, /^args\[0\](\[0\]){200} is a Date instance/);
});

test('cycles are refused, shared references are not', () => {
  const shared = { x: 1 };
  assertJsonSafe({ a: shared, b: shared }, 'args[0]');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.match(refusal(cyclic).message, /args\[0\]\.self refers back to itself/);
});

test('payloads are Resque-shaped: class and args first, and decode back', () => {
  const payload = encodePayload('SendWelcomeEmail', '[42]', 'id-1', 'email', 1700000000000);
  assert.ok(payload.startsWith('{"class":"SendWelcomeEmail","args":[42],'));
  const decoded = decodePayload(payload);
  assert.deepEqual([decoded.name, decoded.args, decoded.id, decoded.queue, decoded.attempt], ['SendWelcomeEmail', [42], 'id-1', 'email', 1]);
  const ruby = decodePayload('{"class":"Archive","args":[44,"masterbrew"]}');
  assert.deepEqual([ruby.name, ruby.args, ruby.id, ruby.attempt], ['Archive', [44, 'masterbrew'], undefined, 1]);
  const retry = decodePayload(encodeRetry(decoded, 'id-1', { attempt: 1, at: 'now', exception: 'Error', error: 'boom' }));
  assert.equal(retry.attempt, 2);
  assert.equal(retry.errors[0]?.error, 'boom');
});

test('a batch encoder writes exactly what encodePayload writes', () => {
  const encode = payloadEncoder('SendWelcomeEmail', 'email', 1700000000000);
  assert.equal(encode('[42,"x"]', 'id-1'), encodePayload('SendWelcomeEmail', '[42,"x"]', 'id-1', 'email', 1700000000000));
});

test('batch job ids are distinct, well-formed v4 UUIDs, and differ between batches', () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const ids = new Set<string>();
  for (let batch = 0; batch < 3; batch++) {
    const next = jobIdSequence();
    for (let i = 0; i < 5000; i++) {
      const id = next();
      assert.match(id, uuid);
      ids.add(id);
    }
  }
  assert.equal(ids.size, 15_000);
});

test('malformed payloads are refused with a clear reason', () => {
  assert.throws(() => decodePayload('not json'), /payload is not JSON/);
  assert.throws(() => decodePayload('[1]'), /not a JSON object/);
  assert.throws(() => decodePayload('{"args":[]}'), /no "class"/);
  assert.throws(() => decodePayload('{"class":"X","args":{}}'), /"args" is not an array/);
});

test('durations', () => {
  assert.equal(toMs('250ms'), 250);
  assert.equal(toMs('30s'), 30_000);
  assert.equal(toMs('5m'), 300_000);
  assert.equal(toMs('1h30m'), 5_400_000);
  assert.equal(toMs(1500), 1500);
  assert.throws(() => toMs('soon'), ConfigError);
  assert.throws(() => toMs(-1), ConfigError);
  assert.throws(() => toMs('5 minutes'), /not a duration/);
});

test('job and queue names are validated', () => {
  assert.throws(() => defineJob({ name: 'has space', async perform() {} }), /job name "has space" is not valid/);
  assert.throws(() => defineJob({ name: 'Ok', queue: 'a:b', async perform() {} }), /queue name "a:b" is not valid/);
  assert.throws(() => defineJob({ name: 'NoPerform' } as never), /needs a perform function/);
  assert.equal(defineJob({ name: 'Mailers::Welcome', async perform() {} }).queue, 'default');
});

test('Resque-style classes become jobs named after the class', () => {
  class Archive {
    static queue = 'file';
    static async perform(id: number) { return id; }
  }
  const spec = specOf(Archive);
  assert.equal(spec.name, 'Archive');
  assert.equal(spec.queue, 'file');
  assert.throws(() => specOf(class NotAJob {} as never), /not a job/);
});

test('queue lists: strict, all, weighted', () => {
  assert.deepEqual(queueOrder(parseQueues('critical,default')), ['critical', 'default']);
  assert.equal(queueOrder(parseQueues('*')), '*');
  assert.deepEqual(queueOrder(parseQueues(['a', 'b'])), ['a', 'b']);
  const weighted = parseQueues('a:3,b:1');
  assert.deepEqual(queueOrder(weighted, () => 0), ['a', 'b']);
  assert.deepEqual(queueOrder(weighted, () => 0.9), ['b', 'a']);
  let firstA = 0;
  for (let i = 0; i < 4000; i++) if (queueOrder(weighted)[0] === 'a') firstA++;
  assert.ok(firstA > 2600 && firstA < 3400, `a first ${firstA} of 4000 times, expected about 3000`);
  assert.throws(() => parseQueues(''), /no queues given/);
  assert.throws(() => parseQueues('a,*'), /cannot be combined/);
  assert.throws(() => parseQueues('a:0'), /weight/);
  assert.throws(() => parseQueues('a,a'), /twice/);
});

test('retry policy: attempts, backoff, jitter, per-error decisions, unrecoverable', () => {
  const mid = () => 0.5;
  assert.equal(retryDelay({}, 1, new Error('x'), mid), null, 'default is Resque: no retry');
  assert.equal(retryDelay({ attempts: 3, backoff: 'fixed', delay: '2s' }, 1, new Error('x'), mid), 2000);
  assert.equal(retryDelay({ attempts: 3, backoff: 'exponential', delay: 100 }, 2, new Error('x'), mid), 200);
  assert.equal(retryDelay({ attempts: 3 }, 3, new Error('x'), mid), null);
  assert.equal(retryDelay({ attempts: 5, backoff: (attempt) => attempt * 7 }, 2, new Error('x'), mid), 14);
  assert.equal(retryDelay({ attempts: 5 }, 1, new UnrecoverableError('no'), mid), null);
  assert.equal(retryDelay({ attempts: 5, retryOn: (e) => (e as Error).message !== 'fatal' }, 1, new Error('fatal'), mid), null);
  const jittered = retryDelay({ attempts: 2, backoff: 'fixed', delay: 1000, jitter: 0.5 }, 1, new Error('x'), () => 1);
  assert.equal(jittered, 1500);
});

test('failure entries have exactly Resque 3 keys in Resque order', () => {
  const entry = JSON.parse(failureEntry({ payload: { class: 'X', args: [] }, error: new TypeError('bad'), workerId: 'h:1:q', queue: 'q', at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) }));
  assert.deepEqual(Object.keys(entry), ['failed_at', 'payload', 'exception', 'error', 'backtrace', 'worker', 'queue']);
  assert.equal(entry.failed_at, '2026/01/02 03:04:05 UTC');
  assert.equal(entry.exception, 'TypeError');
  assert.ok(Array.isArray(entry.backtrace) && entry.backtrace.length > 0);
});
