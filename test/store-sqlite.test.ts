// The SQLite store on its own terms: the Store/AdminStore semantics it shares with the Redis
// store, plus what only a file can get wrong: schema versioning, corrupt and locked files, and
// several processes on one file (wake-ups across processes, no job reserved twice).
// Each test opens its own database in a fresh temp directory, removed afterwards.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/storage/sqlite/store.ts';
import { knownPaused } from './conformance/harness.ts';
import { SCHEMA_VERSION } from '../src/storage/sqlite/schema.ts';
import { openStore } from '../src/storage/open.ts';
import { StoreError } from '../src/errors.ts';
import type { RecoverOptions, Store } from '../src/storage/types.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const LONG_MS = 20_000;

function tempPath(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'errand-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'nested', 'errand.db');
}

function open(t: TestContext, path = tempPath(t), busyTimeoutMs = 5_000): SqliteStore {
  const store = SqliteStore.open({ path, busyTimeoutMs });
  t.after(() => store.close());
  return store;
}

const job = (n: number | string, queue = 'q') => JSON.stringify({ class: 'Job', args: [n], id: `id-${queue}-${n}`, queue, enqueued_at: 1_700_000_000 + Number(n) || 0 });

async function push(store: Store, queue: string, payloads: string[]): Promise<void> {
  await store.push(payloads.map((payload) => ({ queue, payload })));
}

/** Registers a worker (a minute's lease unless `leaseMs`) and returns its instance id. */
async function worker(store: Store, id: string, queues: string[] = ['q'], leaseMs = 60_000): Promise<string> {
  return store.register({ id, queues, startedAt: new Date(), leaseMs });
}

/** Leases run on SQLite's clock: a dying worker gets a short one, and the test lets it run out. */
const SHORT_LEASE_MS = 40;
const leaseRunsOut = () => new Promise((resolve) => setTimeout(resolve, 3 * SHORT_LEASE_MS));

async function contents(store: Store, queue: string): Promise<string[]> {
  return store.admin().peek(queue, 0, 10_000);
}

const recoverNow = (more: Partial<RecoverOptions> = {}): RecoverOptions =>
  ({ maxDeaths: 3, promoteLimit: 1_000, reapDead: true, ...more });

function run(t: TestContext, fixture: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures', fixture), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const parts = out.split('\n');
    out = parts.pop()!;
    lines.push(...parts);
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    exited,
    stderr: () => err,
    /** Resolves with the first line matching `pattern`; rejects if the process exits first. */
    async line(pattern: RegExp): Promise<string> {
      for (;;) {
        const found = lines.find((l) => pattern.test(l));
        if (found) return found;
        const gone = await Promise.race([new Promise<false>((r) => waiters.push(() => r(false))), exited.then(() => true)]);
        if (gone && !lines.some((l) => pattern.test(l))) throw new Error(`${fixture} exited without printing ${pattern}: ${err}`);
      }
    },
  };
}

test('push and reserve keep FIFO order and strict queue priority', async (t) => {
  const store = open(t);
  await push(store, 'low', [job(1, 'low'), job(2, 'low')]);
  await push(store, 'high', [job(1, 'high')]);
  await push(store, 'low', [job(3, 'low')]);
  const w = await worker(store, 'host:1:high,low', ['high', 'low']);
  const first = await store.reserve(w, ['high', 'low'], 2);
  assert.deepEqual(first.map((j) => [j.queue, j.payload]), [['high', job(1, 'high')], ['low', job(1, 'low')]]);
  await push(store, 'high', [job(2, 'high')]);
  const second = await store.reserve(w, ['high', 'low'], 10);
  assert.deepEqual(second.map((j) => j.payload), [job(2, 'high'), job(2, 'low'), job(3, 'low')]);
  assert.equal(new Set([...first, ...second].map((j) => j.token)).size, 5, 'tokens are distinct');
  assert.deepEqual(await store.reserve(w, ['high', 'low'], 10), []);
});

test("'*' takes every queue in alphabetical order; an unregistered worker gets nothing", async (t) => {
  const store = open(t);
  await push(store, 'zeta', [job(1, 'zeta')]);
  await push(store, 'alpha', [job(1, 'alpha'), job(2, 'alpha')]);
  await push(store, 'mid', [job(1, 'mid')]);
  assert.deepEqual(await store.reserve('nobody:1:*', '*', 10), []);
  const w = await worker(store, 'host:1:*', ['*']);
  const got = await store.reserve(w, '*', 3);
  assert.deepEqual(got.map((j) => j.queue), ['alpha', 'alpha', 'mid']);
  assert.deepEqual((await store.reserve(w, '*', 3)).map((j) => j.queue), ['zeta']);
});

test('settle applies done, retry and failed once, and counts them like settle.lua', async (t) => {
  const store = open(t);
  await push(store, 'q', [job(1), job(2), job(3)]);
  const w = await worker(store, 'host:1:q');
  const [a, b, c] = await store.reserve(w, ['q'], 3);
  const entry = JSON.stringify({ failed_at: '2026/01/01 00:00:00 UTC', payload: JSON.parse(c!.payload), exception: 'Boom', error: 'x', backtrace: [], worker: w, queue: 'q' });
  const runAt = Date.now() + 50;
  const outcomes = [
    { token: a!.token, kind: 'done' as const },
    { token: b!.token, kind: 'retry' as const, job: { queue: 'q', payload: job('2-retry'), runAt } },
    { token: c!.token, kind: 'failed' as const, entry },
  ];
  assert.deepEqual(await store.settle(w, outcomes), { settled: 3 });
  assert.deepEqual(await store.settle(w, outcomes), { settled: 0 }, 'a second settle of the same tokens changes nothing');
  assert.deepEqual(await store.settle(w, [{ token: 'not-a-token', kind: 'done' }]), { settled: 0 });
  const stats = await store.admin().stats();
  assert.equal(stats.processed, 3);
  assert.equal(stats.failed, 2, 'the retried attempt and the final failure both count as failed');
  assert.equal(stats.failedCount, 1);
  assert.equal(stats.scheduled, 1);
  assert.equal((await store.admin().failed(0, 10))[0]!.raw, entry, 'the failure entry is stored byte for byte');
  assert.equal(stats.workers[0]!.inFlight, 0);
  await leaseRunsOut();
  const recovered = await store.recover(recoverNow());
  assert.equal(recovered.promoted, 1);
  assert.deepEqual(await contents(store, 'q'), [job('2-retry')]);
});

test('a worker declared dead settles nothing; heartbeat tells it it is unknown', async (t) => {
  const store = open(t);
  await push(store, 'q', [job(1), job(2)]);
  const w = await worker(store, 'host:1:q', ['q'], SHORT_LEASE_MS);
  const held = await store.reserve(w, ['q'], 2);
  await leaseRunsOut();
  const result = await store.recover(recoverNow());
  assert.deepEqual(result.deadWorkers, [w]);
  assert.equal(result.requeued, 2);
  assert.deepEqual(await contents(store, 'q'), [job(1), job(2)], 'its jobs are back, in order');
  const late = await store.settle(w, [
    { token: held[0]!.token, kind: 'done' },
    { token: held[1]!.token, kind: 'failed', entry: '{"zombie":true}' },
  ]);
  assert.deepEqual(late, { settled: 0 });
  assert.equal(await store.admin().failedCount(), 0);
  assert.deepEqual(knownPaused(await store.heartbeat(w, { workingOn: null })), { known: false, paused: false });
  assert.deepEqual(await store.admin().workers(), []);
});

test('release puts jobs back at the head of their queue in reservation order', async (t) => {
  const store = open(t);
  await push(store, 'q', [1, 2, 3, 4, 5].map((n) => job(n)));
  const w = await worker(store, 'host:1:q');
  const held = await store.reserve(w, ['q'], 3);
  assert.equal(await store.release(w, [held[2]!.token, held[0]!.token, held[1]!.token, 'bogus']), 3);
  assert.deepEqual(await contents(store, 'q'), [1, 2, 3, 4, 5].map((n) => job(n)));
  assert.equal(await store.release(w, held.map((j) => j.token)), 0, 'released jobs are no longer held');
  assert.equal(await store.release('other:1:q', [held[0]!.token]), 0);
});

test('recover hands a dead worker jobs back at the head; a job in maxDeaths deaths goes to failed as PoisonJobError', async (t) => {
  const store = open(t);
  const poison = job('poison');
  await push(store, 'q', [poison]);
  const first = await worker(store, 'host:1:q', ['q'], SHORT_LEASE_MS);
  assert.deepEqual((await store.reserve(first, ['q'], 1, 1)).map((j) => j.payload), [poison]);
  await push(store, 'q', [job('behind')]);
  await leaseRunsOut();
  const one = await store.recover(recoverNow({ maxDeaths: 2 }));
  assert.deepEqual([one.deadWorkers, one.requeued, one.poisoned], [[first], 1, 0]);
  assert.deepEqual(await contents(store, 'q'), [poison, job('behind')], 'back at the head, ahead of newer work');

  const second = await worker(store, 'host:2:q', ['q'], 1_000);
  await store.heartbeat(second, { workingOn: null });
  assert.deepEqual((await store.reserve(second, ['q'], 1, 1)).map((j) => j.payload), [poison]);
  const alive = await store.recover(recoverNow({ maxDeaths: 2 }));
  assert.deepEqual(alive.deadWorkers, [], 'a worker with a fresh lease is alive');
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const two = await store.recover(recoverNow({ maxDeaths: 2 }));
  assert.deepEqual([two.deadWorkers, two.requeued, two.poisoned], [[second], 0, 1]);
  assert.deepEqual(await contents(store, 'q'), [job('behind')]);
  const [failed] = await store.admin().failed(0, 10);
  assert.equal(failed!.entry!.exception, 'PoisonJobError');
  assert.deepEqual(failed!.entry!.payload, JSON.parse(poison));
  assert.equal(failed!.entry!.worker, second);
  assert.equal(failed!.entry!.queue, 'q');
  assert.match(String(failed!.entry!.error), /died 2 times/);
  assert.equal((await store.admin().stats()).failed, 1);
});

test('unregister hands held jobs back without counting a death', async (t) => {
  const store = open(t);
  await push(store, 'q', [job(1), job(2)]);
  const w = await worker(store, 'host:1:q');
  await store.reserve(w, ['q'], 2);
  await store.unregister(w);
  assert.deepEqual(await contents(store, 'q'), [job(1), job(2)]);
  for (let death = 0; death < 2; death++) {
    const again = await worker(store, `host:${death + 2}:q`);
    await store.reserve(again, ['q'], 2);
    await store.unregister(again);
  }
  assert.equal(await store.admin().failedCount(), 0, 'graceful stops never make a poison job');
});

test('recover promotes due scheduled jobs in due order (SQLite clock) and reports when the next is due', async (t) => {
  const store = open(t);
  const now = Date.now();
  await store.schedule([
    { queue: 'q', payload: job('late'), runAt: now + 60_000 },
    { queue: 'q', payload: job('soon'), runAt: now + 200 },
    { queue: 'r', payload: job('soon', 'r'), runAt: now + 200 },
    { queue: 'q', payload: job('soon'), runAt: now + 200 },
  ]);
  assert.equal(await store.admin().scheduledCount(), 4, 'identical payloads are all kept');
  const early = await store.recover(recoverNow());
  assert.equal(early.promoted, 0);
  assert.ok(early.nextDueInMs! > 0 && early.nextDueInMs! <= 200, `due in ${early.nextDueInMs} ms`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const due = await store.recover(recoverNow());
  assert.equal(due.promoted, 3);
  assert.ok(due.nextDueInMs! > 55_000 && due.nextDueInMs! <= 60_000, `next due in ${due.nextDueInMs} ms`);
  assert.deepEqual(await contents(store, 'q'), [job('soon'), job('soon')]);
  assert.deepEqual(await contents(store, 'r'), [job('soon', 'r')]);
});

test('admin: failed list paging, retry and remove by exact string, clear', async (t) => {
  const store = open(t);
  await push(store, 'q', [job(1), job(2), job(3)]);
  const w = await worker(store, 'host:1:q');
  const held = await store.reserve(w, ['q'], 3);
  const entries = held.map((j, i) => JSON.stringify({ payload: JSON.parse(j.payload), exception: 'E', error: `e${i}`, queue: 'q' }));
  await store.settle(w, held.map((j, i) => ({ token: j.token, kind: 'failed' as const, entry: entries[i]! })));
  const admin = store.admin();
  assert.deepEqual((await admin.failed(1, 5)).map((f) => [f.index, f.raw]), [[1, entries[1]], [2, entries[2]]]);
  assert.deepEqual(await admin.failed(0, 0), []);
  assert.equal(await admin.retryFailed(entries[0]!, { queue: 'q', payload: job('1-again') }), true);
  assert.equal(await admin.retryFailed(entries[0]!, { queue: 'q', payload: job('1-again') }), false, 'already retried');
  assert.deepEqual(await contents(store, 'q'), [job('1-again')]);
  assert.equal(await admin.removeFailed(`${entries[1]} `), false, 'matched by exact string');
  assert.equal(await admin.removeFailed(entries[1]!), true);
  assert.equal(await admin.removeFailed(entries[1]!), false);
  assert.deepEqual((await admin.failed(0, 10)).map((f) => f.raw), [entries[2]]);
  assert.equal(await admin.clearFailed(), 1);
  assert.equal(await admin.failedCount(), 0);
});

test('admin: pause stops reserve and shows in heartbeat and stats', async (t) => {
  const store = open(t);
  await push(store, 'q', [job(1)]);
  const w = await worker(store, 'host:1:q');
  await store.admin().setPaused(true);
  assert.deepEqual(await store.reserve(w, ['q'], 10), []);
  assert.deepEqual(knownPaused(await store.heartbeat(w, { workingOn: null })), { known: true, paused: true });
  assert.equal((await store.admin().stats()).paused, true);
  await store.admin().setPaused(false);
  assert.equal((await store.reserve(w, ['q'], 10)).length, 1);
  assert.equal((await store.heartbeat(w, { workingOn: null })).paused, false);
});

test('admin: workers view, queue stats and peek', async (t) => {
  const store = open(t);
  await push(store, 'emails', [job(1, 'emails'), job(2, 'emails'), job(3, 'emails')]);
  const busy = await worker(store, 'host:1:emails,reports', ['emails', 'reports']);
  const idle = await worker(store, 'host:2:reports', ['reports']);
  const [held] = await store.reserve(busy, ['emails'], 1);
  await store.heartbeat(busy, { workingOn: { queue: 'emails', payload: held!.payload, runAt: new Date('2026-01-02T03:04:05Z') } });
  const views = await store.admin().workers();
  assert.deepEqual(views.map((v) => [v.id, v.queues, v.inFlight]), [[busy, ['emails', 'reports'], 1], [idle, ['reports'], 0]]);
  assert.deepEqual(views[0]!.workingOn, { queue: 'emails', run_at: '2026-01-02T03:04:05Z', payload: JSON.parse(held!.payload) });
  assert.match(views[0]!.heartbeatAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(views[1]!.startedAt!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$/);
  const stats = await store.admin().stats();
  assert.deepEqual(stats.queues, [{ name: 'emails', size: 2, oldestEnqueuedAt: 1_700_000_002, recentlyDone: 0, paused: false }]);
  assert.deepEqual(await store.admin().queues(), ['emails']);
  assert.deepEqual(await store.admin().peek('emails', 1, 5), [job(3, 'emails')]);
});

test('the file and its directory are created, at the current schema version, in WAL mode', async (t) => {
  const path = tempPath(t);
  const store = open(t, path);
  await push(store, 'q', [job(1)]);
  const raw = new Database(path, { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  const again = open(t, path);
  assert.deepEqual(await contents(again, 'q'), [job(1)], 'a second open sees the data and migrates nothing');
  const viaUrl = await openStore(`sqlite:${path}`);
  t.after(() => viaUrl.close());
  assert.equal(viaUrl.kind, 'sqlite');
  assert.deepEqual(await contents(viaUrl, 'q'), [job(1)]);
});

test('a file that is not a database fails with a StoreError naming it, and is left untouched', (t) => {
  const path = tempPath(t);
  SqliteStore.open({ path, busyTimeoutMs: 100 }).close();
  const garbage = 'this is not a database\n'.repeat(500);
  writeFileSync(path, garbage);
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  assert.throws(() => SqliteStore.open({ path, busyTimeoutMs: 100 }), (error: unknown) => {
    assert.ok(error instanceof StoreError, String(error));
    assert.ok(error.message.includes(path), error.message);
    assert.match(error.message, /not a usable errand database/);
    return true;
  });
  assert.equal(readFileSync(path, 'utf8'), garbage);
});

test('a database written by a newer errand is refused, not migrated', (t) => {
  const path = tempPath(t);
  SqliteStore.open({ path, busyTimeoutMs: 100 }).close();
  const raw = new Database(path);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(() => SqliteStore.open({ path, busyTimeoutMs: 100 }), (error: unknown) =>
    error instanceof StoreError && error.message.includes(path) && /newer/.test(error.message));
});

test("another program's SQLite database is refused, and gets no errand tables", (t) => {
  const path = tempPath(t);
  SqliteStore.open({ path, busyTimeoutMs: 100 }).close();
  rmSync(path);
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  const foreign = new Database(path);
  foreign.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)');
  foreign.close();
  assert.throws(() => SqliteStore.open({ path, busyTimeoutMs: 100 }), (error: unknown) =>
    error instanceof StoreError && error.message.includes(path) && /did not create/.test(error.message));
  const raw = new Database(path, { readonly: true });
  t.after(() => raw.close());
  assert.deepEqual(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), ['accounts']);
});

test('a database locked past the busy timeout gives a StoreError saying so', async (t) => {
  const path = tempPath(t);
  const store = open(t, path, 50);
  const locker = new Database(path);
  t.after(() => locker.close());
  locker.exec('BEGIN IMMEDIATE');
  await assert.rejects(push(store, 'q', [job(1)]), (error: unknown) =>
    error instanceof StoreError && error.message.includes(path) && /locked/.test(error.message));
  locker.exec('ROLLBACK');
  await push(store, 'q', [job(1)]);
  assert.deepEqual(await contents(store, 'q'), [job(1)]);
});

test('waitForWork: wakes on a push from another store in this process, and on abort', async (t) => {
  const path = tempPath(t);
  const store = open(t, path);
  const producer = open(t, path);
  const w = await worker(store, 'host:1:q');
  assert.deepEqual(await store.reserve(w, ['q'], 1), []);
  const started = Date.now();
  const waiting = store.waitForWork(w, ['q'], LONG_MS);
  await push(producer, 'q', [job(1)]);
  await waiting;
  assert.ok(Date.now() - started < LONG_MS / 2, 'woke well before the timeout');
  assert.equal((await store.reserve(w, ['q'], 1)).length, 1);
  assert.deepEqual(await store.reserve(w, ['q'], 1), []);
  const controller = new AbortController();
  const aborted = store.waitForWork(w, ['q'], LONG_MS, controller.signal);
  controller.abort();
  await aborted;
  assert.ok(Date.now() - started < LONG_MS / 2);
});

test('waitForWork: a push by another process wakes this one long before the timeout', { timeout: 60_000 }, async (t) => {
  const path = tempPath(t);
  const store = open(t, path);
  const w = await worker(store, 'host:1:q');
  assert.deepEqual(await store.reserve(w, ['q'], 1), []);
  const started = Date.now();
  const woke = store.waitForWork(w, ['q'], LONG_MS).then(() => Date.now());
  const producer = run(t, 'sqlite-push.ts', [path, 'q', job('remote')]);
  const pushedAt = Number((await producer.line(/^pushed /)).split(' ')[1]);
  const wokeAt = await woke;
  assert.ok(wokeAt - started < LONG_MS / 2, `woke after ${wokeAt - started} ms`);
  t.diagnostic(`cross-process pickup latency: ${wokeAt - pushedAt} ms`);
  assert.deepEqual((await store.reserve(w, ['q'], 1)).map((j) => j.payload), [job('remote')]);
});

test('waitForWork: work another process commits between reserve and wait ends the wait at once', { timeout: 60_000 }, async (t) => {
  const path = tempPath(t);
  const store = open(t, path);
  const w = await worker(store, 'host:1:q');
  assert.deepEqual(await store.reserve(w, ['q'], 1), []);
  const producer = run(t, 'sqlite-push.ts', [path, 'q', job('between')]);
  assert.equal(await producer.exited, 0, producer.stderr());
  const started = Date.now();
  await store.waitForWork(w, ['q'], LONG_MS);
  assert.ok(Date.now() - started < LONG_MS / 2, 'the wake-up was not lost');
  assert.equal((await store.reserve(w, ['q'], 1)).length, 1);
});

test('two processes reserving from one file never get the same job, and lose none', { timeout: 120_000 }, async (t) => {
  const path = tempPath(t);
  const store = open(t, path);
  const jobs = Array.from({ length: 20_000 }, (_, i) => job(i));
  const workers = [run(t, 'sqlite-reserve.ts', [path, 'host:101:q', 'q', '5']), run(t, 'sqlite-reserve.ts', [path, 'host:102:q', 'q', '7'])];
  await Promise.all(workers.map((w) => w.line(/^ready$/)));
  await push(store, 'q', jobs);
  const results = await Promise.all(workers.map(async (w) => JSON.parse(await w.line(/^\[/)) as string[]));
  for (const w of workers) assert.equal(await w.exited, 0, w.stderr());
  const [a, b] = results as [string[], string[]];
  t.diagnostic(`split: ${a.length} + ${b.length}`);
  assert.ok(a.length > 0 && b.length > 0, `both processes took jobs (${a.length}, ${b.length})`);
  const seen = new Set(a);
  assert.deepEqual(b.filter((p) => seen.has(p)), [], 'no job reserved by both');
  assert.deepEqual([...a, ...b].sort(), [...jobs].sort(), 'every job was taken exactly once');
  const stats = await store.admin().stats();
  assert.equal(stats.processed, jobs.length);
  assert.deepEqual(stats.workers, [], 'both unregistered');
});

// Catches: a statement that adds or takes waiting jobs without moving the queue's kept count
// (push, reserve, release, a reap handing jobs back, poison, remove one, clear, a retry or run
// now), and a page read from the tail that is not the same slice as one read from the head.
test('the kept per-queue waiting count always equals the rows, and pages near the tail read from the tail', async (t) => {
  const path = tempPath(t);
  const store = open(t, path);
  const raw = new Database(path, { readonly: true });
  t.after(() => raw.close());
  const truth = () => Object.fromEntries((raw.prepare('SELECT queue, COUNT(*) AS n FROM jobs WHERE worker IS NULL GROUP BY queue').all() as { queue: string; n: number }[]).map((r) => [r.queue, r.n]));
  const kept = async () => Object.fromEntries((await store.admin().stats()).queues.filter((q) => q.size > 0).map((q) => [q.name, q.size]));
  const check = async (step: string) => assert.deepEqual(await kept(), truth(), step);
  await push(store, 'a', Array.from({ length: 60 }, (_, i) => job(i, 'a')));
  await push(store, 'b', Array.from({ length: 5 }, (_, i) => job(i, 'b')));
  await check('after pushes');
  const w = await store.register({ id: 'host:1:a', queues: ['a', 'b'], startedAt: new Date(), leaseMs: 60_000 });
  const held = await store.reserve(w, ['a', 'b'], 30);
  await check('after a reserve');
  assert.equal(await store.release(w, held.slice(20).map((j) => j.token)), 10);
  await check('after a release');
  await store.settle(w, held.slice(0, 5).map((j) => ({ token: j.token, kind: 'done' as const })));
  await store.settle(w, [{ token: held[5]!.token, kind: 'retry', job: { queue: 'a', payload: job(99, 'a'), runAt: Date.now() - 1 } }]);
  await store.recover({ maxDeaths: 3, promoteLimit: 100, reapDead: false });
  await check('after settles and a due retry promoted');
  assert.equal(await store.admin().removeQueued('a', job(40, 'a')), true);
  assert.equal(await store.admin().clearQueue('b'), 5);
  await check('after remove one and clear');
  await store.unregister(w);
  await check('after unregister hands back what it held');
  // A count left off (as by an older errand process still running on the file) is mended the
  // next time a reserve drains the queue.
  const writer = new Database(path);
  writer.prepare("UPDATE queues SET waiting = waiting + 1000 WHERE name = 'b'").run();
  writer.close();
  assert.notDeepEqual(await kept(), truth(), 'the count is off');
  await push(store, 'b', [job(1, 'b')]);
  const w2 = await store.register({ id: 'host:2:b', queues: ['b'], startedAt: new Date(), leaseMs: 60_000 });
  assert.equal((await store.reserve(w2, ['b'], 10)).length, 1);
  await check('mended by the reserve that drained it');
  const size = truth().a!;
  const all = await store.admin().peek('a', 0, size);
  assert.equal(all.length, size);
  assert.deepEqual(await store.admin().peek('a', size - 7, 10), all.slice(size - 7), 'the last page, read from the tail');
  assert.deepEqual(await store.admin().peek('a', -3, 3), all.slice(-3));
  assert.deepEqual(await store.admin().peek('a', 2, 4), all.slice(2, 6), 'a page near the head');
});
