// Conformance: the AdminStore side — stats, queues, peek, workers, the failed list and the
// operator changes on it (retry, remove, clear).

import assert from 'node:assert/strict';
import { contents, payload, payloads, pushAll, Registry } from './harness.ts';
import type { Store } from '../../src/storage/types.ts';

/** Puts `count` failure entries in the failed list through the hot path (reserve + settle failed). */
async function makeFailures(store: Store, workerId: string, count: number): Promise<{ raw: string; payload: string }[]> {
  const jobs = payloads('doomed', count);
  await pushAll(store, 'doomed', jobs);
  const held = await store.reserve(workerId, ['doomed'], count);
  assert.equal(held.length, count);
  const made = held.map((job, i) => ({
    payload: job.payload,
    raw: JSON.stringify({ failed_at: '2026/11/28 01:51:55 UTC', payload: JSON.parse(job.payload), exception: 'RuntimeError', error: `failure ${i}`, backtrace: [], worker: workerId, queue: 'doomed' }),
  }));
  const result = await store.settle(workerId, held.map((job, i) => ({ token: job.token, kind: 'failed' as const, entry: made[i]!.raw })));
  assert.equal(result.settled, count);
  return made;
}

export function adminCases(r: Registry): void {
  r.case('admin stats: queue sizes, counters, scheduled, failed, workers with inFlight', async ({ store, worker }) => {
    const empty = await store.admin().stats();
    assert.deepEqual({ ...empty, queues: [...empty.queues], workers: [...empty.workers] },
      { processed: 0, failed: 0, queues: [], scheduled: 0, retrying: 0, failedCount: 0, workers: [], paused: false });
    await pushAll(store, 'emails', payloads('emails', 3));
    await pushAll(store, 'reports', payloads('reports', 1));
    await store.schedule([{ queue: 'emails', payload: payload('emails', 'later'), runAt: Date.now() + 3_600_000 }]);
    const w = await worker(['doomed', 'emails']);
    const idle = await worker(['reports']);
    await makeFailures(store, w, 2);
    const [held] = await store.reserve(w, ['emails'], 2);
    await store.settle(w, [{ token: held!.token, kind: 'done' }]);
    const stats = await store.admin().stats();
    assert.equal(stats.processed, 3);
    assert.equal(stats.failed, 2);
    assert.equal(stats.failedCount, 2);
    assert.equal(stats.scheduled, 1);
    assert.equal(stats.paused, false);
    const sizes = Object.fromEntries(stats.queues.map((q) => [q.name, q.size]));
    assert.equal(sizes.emails, 1);
    assert.equal(sizes.reports, 1);
    assert.equal(sizes.doomed ?? 0, 0);
    const emails = stats.queues.find((q) => q.name === 'emails')!;
    // Both stores read it from the head job's enqueued_at (the harness's payloads carry one).
    assert.equal(emails.oldestEnqueuedAt, 1_700_000_000);
    const views = new Map(stats.workers.map((v) => [v.id, v]));
    assert.deepEqual([...views.keys()].sort(), [idle, w].sort());
    assert.equal(views.get(w)!.inFlight, 1);
    assert.equal(views.get(idle)!.inFlight, 0);
    assert.deepEqual(views.get(w)!.queues, ['doomed', 'emails']);
    assert.equal(typeof views.get(w)!.heartbeatAt, 'string');
    assert.equal(typeof views.get(w)!.startedAt, 'string');
  });

  // Catches: settle not counting metrics (or counting a late outcome's class twice), failures
  // not counted as failures, a wrong bucket, time in the wrong unit, an outcome that never ran
  // (no class) counted, a window that misses the current slot.
  r.case('job metrics: settle counts runs, failures, time and a duration histogram per class', async ({ store, worker }) => {
    const w = await worker(['m']);
    await pushAll(store, 'm', payloads('m', 7));
    const held = await store.reserve(w, ['m'], 7);
    const ms = [3, 30, 3_000, 7, 1, 0.25];
    const retry = { queue: 'm', payload: payload('m', 'again'), runAt: Date.now() + 3_600_000 };
    await store.settle(w, [
      { token: held[0]!.token, kind: 'done', queue: 'm', jobClass: 'Mail', ms: ms[0] },
      { token: held[1]!.token, kind: 'done', queue: 'm', jobClass: 'Mail', ms: ms[1] },
    ]);
    await store.settle(w, [
      { token: held[2]!.token, kind: 'done', queue: 'm', jobClass: 'Mail', ms: ms[2] },
      { token: held[3]!.token, kind: 'failed', queue: 'm', jobClass: 'Mail', ms: ms[3], entry: '{"payload":{},"exception":"E"}' },
      { token: held[4]!.token, kind: 'retry', queue: 'm', jobClass: 'Report::Nightly', ms: ms[4], job: retry },
      { token: held[5]!.token, kind: 'done', queue: 'm', jobClass: 'Report::Nightly', ms: ms[5] },
      { token: held[6]!.token, kind: 'done', queue: 'm' },
    ]);
    for (const window of [60, 480, 1_440] as const) {
      const metrics = await store.admin().jobMetrics(window);
      assert.equal(metrics.windowMinutes, window);
      assert.deepEqual(metrics.classes.map((c) => c.jobClass), ['Mail', 'Report::Nightly'], `${window}: by total time; the outcome without a class counts nowhere`);
      const [mail, report] = metrics.classes;
      assert.deepEqual([mail!.runs, mail!.failures, mail!.totalMs, mail!.meanMs], [4, 1, 3_040, 760], `${window}: Mail`);
      assert.deepEqual([report!.runs, report!.failures, report!.totalMs], [2, 1, 1.25], `${window}: Report::Nightly (µs kept)`);
      const expected = new Array(15).fill(0);
      expected[0] = 1; expected[1] = 1; expected[3] = 1; expected[9] = 1;
      assert.deepEqual(mail!.buckets, expected, `${window}: ≤5 ms, ≤10 ms, ≤50 ms, ≤5 s`);
      assert.equal(mail!.series.reduce((a, b) => a + b, 0), 4, `${window}: the series holds every run`);
      assert.ok(mail!.series.at(-1)! + (mail!.series.at(-2) ?? 0) === 4, `${window}: in the latest slots`);
      assert.equal(mail!.series.length, window === 60 ? 60 : window / 10);
    }
  });

  r.case('admin queues() lists known queues sorted; peek pages through a queue', async ({ store }) => {
    assert.deepEqual(await store.admin().queues(), []);
    const jobs = payloads('zeta', 5);
    await pushAll(store, 'zeta', jobs);
    await pushAll(store, 'alpha', payloads('alpha', 1));
    await pushAll(store, 'mu', payloads('mu', 1));
    assert.deepEqual(await store.admin().queues(), ['alpha', 'mu', 'zeta']);
    assert.deepEqual(await store.admin().peek('zeta', 0, 2), jobs.slice(0, 2));
    assert.deepEqual(await store.admin().peek('zeta', 1, 3), jobs.slice(1, 4));
    assert.deepEqual(await store.admin().peek('zeta', 4, 10), jobs.slice(4));
    assert.deepEqual(await store.admin().peek('zeta', 5, 10), []);
    assert.deepEqual(await store.admin().peek('nope', 0, 10), []);
  });

  r.case('admin peek and failed: a negative start counts from the newest; indexes stay positions from the oldest', async ({ store, worker }) => {
    const jobs = payloads('zeta', 5);
    await pushAll(store, 'zeta', jobs);
    const peek = (start: number, count: number) => store.admin().peek('zeta', start, count);
    assert.deepEqual(await peek(-1, 1), [jobs[4]]);
    assert.deepEqual(await peek(-2, 5), jobs.slice(3), 'a window reaching past the newest stops there');
    assert.deepEqual(await peek(-5, 2), jobs.slice(0, 2));
    assert.deepEqual(await peek(-7, 3), jobs.slice(0, 1), 'a start before the oldest is cut to the oldest');
    assert.deepEqual(await peek(-7, 1), []);
    const made = await makeFailures(store, await worker(['doomed']), 3);
    const failed = async (start: number, count: number) => (await store.admin().failed(start, count)).map((f) => [f.index, f.raw]);
    assert.deepEqual(await failed(-1, 1), [[2, made[2]!.raw]], '0 = oldest, so the newest of three is #2');
    assert.deepEqual(await failed(-2, 10), [[1, made[1]!.raw], [2, made[2]!.raw]]);
    assert.deepEqual(await failed(-3, 2), [[0, made[0]!.raw], [1, made[1]!.raw]]);
    assert.deepEqual(await failed(-5, 3), [[0, made[0]!.raw]]);
  });

  r.case('admin peek and failed with count 0 return nothing', async ({ store, worker }) => {
    await pushAll(store, 'q', payloads('q', 3));
    await makeFailures(store, await worker(['doomed']), 2);
    assert.deepEqual(await store.admin().peek('q', 0, 0), []);
    assert.deepEqual(await store.admin().failed(0, 0), []);
  });

  r.case('admin workers() shows what a worker is working on', async ({ store, worker }) => {
    const job = payload('q', 'busy');
    const w = await worker(['q']);
    await store.heartbeat(w, { workingOn: { queue: 'q', payload: job, runAt: new Date('2026-11-28T01:51:55.123Z') } });
    const [view] = await store.admin().workers();
    const working = view!.workingOn as { queue: string; run_at: string; payload: unknown };
    assert.equal(working.queue, 'q');
    assert.deepEqual(working.payload, JSON.parse(job));
    assert.equal(working.run_at, '2026-11-28T01:51:55Z');
    await store.heartbeat(w, { workingOn: null });
    const [idle] = await store.admin().workers();
    assert.ok(idle!.workingOn == null, 'idle again after a heartbeat with nothing');
  });

  r.case('admin failed list pages oldest first with indexes', async ({ store, worker }) => {
    const made = await makeFailures(store, await worker(['doomed']), 5);
    assert.equal(await store.admin().failedCount(), 5);
    const page1 = await store.admin().failed(0, 2);
    assert.deepEqual(page1.map((f) => [f.index, f.raw]), [[0, made[0]!.raw], [1, made[1]!.raw]]);
    const page2 = await store.admin().failed(2, 2);
    assert.deepEqual(page2.map((f) => [f.index, f.raw]), [[2, made[2]!.raw], [3, made[3]!.raw]]);
    const last = await store.admin().failed(4, 10);
    assert.deepEqual(last.map((f) => f.index), [4]);
    assert.deepEqual(last[0]!.entry, JSON.parse(made[4]!.raw));
    assert.deepEqual(await store.admin().failed(5, 10), []);
  });

  r.case('admin failed entry that is not JSON is listed with entry undefined', async ({ store, worker }) => {
    const w = await worker(['q']);
    await pushAll(store, 'q', ['not json']);
    const [job] = await store.reserve(w, ['q'], 1);
    await store.settle(w, [{ token: job!.token, kind: 'failed', entry: 'garbage entry {' }]);
    const [entry] = await store.admin().failed(0, 10);
    assert.equal(entry!.raw, 'garbage entry {');
    assert.equal(entry!.entry, undefined);
    assert.equal(await store.admin().removeFailed('garbage entry {'), true);
  });

  r.case('admin retryFailed removes the entry and queues the job once', async ({ store, worker }) => {
    const made = await makeFailures(store, await worker(['doomed']), 3);
    await pushAll(store, 'doomed', [payload('doomed', 'waiting')]);
    const target = made[1]!;
    assert.equal(await store.admin().retryFailed(target.raw, { queue: 'doomed', payload: target.payload }), true);
    assert.deepEqual((await store.admin().failed(0, 10)).map((f) => f.raw), [made[0]!.raw, made[2]!.raw]);
    const queued = await contents(store, 'doomed');
    assert.equal(queued.length, 2);
    assert.equal(queued[1], target.payload, 'the retried job joins the tail');
    assert.equal(await store.admin().retryFailed(target.raw, { queue: 'doomed', payload: target.payload }), false);
    assert.equal((await contents(store, 'doomed')).length, 2, 'a second retry queues nothing');
    assert.equal(await store.admin().failedCount(), 2);
    assert.equal(await store.admin().retryFailed('{"no":"such entry"}', { queue: 'doomed', payload: 'x' }), false);
    assert.equal((await contents(store, 'doomed')).length, 2);
    // Retry into another queue than the original.
    assert.equal(await store.admin().retryFailed(made[0]!.raw, { queue: 'elsewhere', payload: made[0]!.payload }), true);
    assert.deepEqual(await contents(store, 'elsewhere'), [made[0]!.payload]);
    assert.ok((await store.admin().queues()).includes('elsewhere'));
  });

  r.case('admin retryFailed of one of two identical entries leaves the other', async ({ store, worker }) => {
    const w = await worker(['q']);
    const same = '{"class":"Archive","args":[44,"masterbrew"]}';
    await pushAll(store, 'q', [same, same]);
    const held = await store.reserve(w, ['q'], 2);
    const entry = `{"failed_at":"2026/11/28 01:51:55 UTC","payload":${same},"exception":"E","error":"x","backtrace":[],"worker":"w","queue":"q"}`;
    await store.settle(w, held.map((job) => ({ token: job.token, kind: 'failed' as const, entry })));
    assert.equal(await store.admin().retryFailed(entry, { queue: 'q', payload: same }), true);
    assert.equal(await store.admin().failedCount(), 1);
    assert.equal(await store.admin().retryFailed(entry, { queue: 'q', payload: same }), true);
    assert.equal(await store.admin().retryFailed(entry, { queue: 'q', payload: same }), false);
    assert.deepEqual(await contents(store, 'q'), [same, same]);
  });

  r.case('admin removeFailed removes by value once', async ({ store, worker }) => {
    const made = await makeFailures(store, await worker(['doomed']), 3);
    assert.equal(await store.admin().removeFailed(made[0]!.raw), true);
    assert.equal(await store.admin().removeFailed(made[0]!.raw), false);
    assert.deepEqual((await store.admin().failed(0, 10)).map((f) => f.raw), [made[1]!.raw, made[2]!.raw]);
    assert.deepEqual(await contents(store, 'doomed'), [], 'removing queues nothing');
  });

  r.case('admin clearFailed returns how many it removed', async ({ store, worker }) => {
    await makeFailures(store, await worker(['doomed']), 3);
    assert.equal(await store.admin().clearFailed(), 3);
    assert.equal(await store.admin().failedCount(), 0);
    assert.deepEqual(await store.admin().failed(0, 10), []);
    assert.equal(await store.admin().clearFailed(), 0);
    assert.equal((await store.admin().stats()).failed, 3, 'the failed counter is history, not the list');
  });
}
