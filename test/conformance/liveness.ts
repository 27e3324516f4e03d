// Conformance: the liveness rules. Every process instance has its own identity even when its
// Resque id repeats; leases run on the store's clock with each worker's own length; a worker
// out of contact reaps nobody; a death blames only the jobs the worker had started.

import assert from 'node:assert/strict';
import { contents, leaseRunsOut, payloads, pushAll, recoverDefaults, Registry, SHORT_LEASE_MS, sleep } from './harness.ts';

const short = { leaseMs: SHORT_LEASE_MS };

/** Runs `body` with Date.now() and new Date() moved `offsetMs` (a client whose clock is off). */
async function withClockOff<T>(offsetMs: number, body: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  const realNow = Date.now;
  class OffDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + offsetMs);
      else super(...(args as [number]));
    }
    static override now(): number {
      return realNow() + offsetMs;
    }
  }
  globalThis.Date = OffDate as DateConstructor;
  try {
    return await body();
  } finally {
    globalThis.Date = RealDate;
  }
}

export function livenessCases(r: Registry): void {
  r.case('identity: a second live instance showing the same Resque id gets its own instance id, in-flight set and lease', async ({ store, worker }) => {
    const shown = 'same-host:1:q';
    const first = await worker(['q'], store, { id: shown });
    const second = await worker(['q'], store, { id: shown });
    assert.equal(first, shown, 'the first instance uses the Resque id itself');
    assert.notEqual(second, first);
    assert.ok(second.startsWith(`${shown}#`), `${second} shows ${shown}`);
    await pushAll(store, 'q', payloads('q', 4));
    const a = await store.reserve(first, ['q'], 2, 2);
    const b = await store.reserve(second, ['q'], 2, 2);
    assert.deepEqual([a.length, b.length], [2, 2]);
    // Neither settles or releases the other's jobs.
    assert.deepEqual(await store.settle(second, a.map((job) => ({ token: job.token, kind: 'done' as const }))), { settled: 0 });
    assert.equal(await store.release(first, b.map((job) => job.token)), 0);
    // Both alive: recovery reaps neither, and Resque's view shows one worker holding all four.
    assert.deepEqual((await store.recover(recoverDefaults)).deadWorkers, []);
    const views = (await store.admin().workers()).filter((view) => view.id === shown);
    assert.equal(views.reduce((sum, view) => sum + view.inFlight, 0), 4);
    assert.deepEqual(views.flatMap((view) => view.instances ?? []).sort(), [first, second].sort());
    // One retiring leaves the other (and the Resque entry it shows) in place.
    await store.unregister(second);
    assert.equal((await store.heartbeat(first, { workingOn: null })).known, true);
    assert.deepEqual((await store.admin().workers()).map((view) => view.id), [shown]);
    assert.deepEqual((await contents(store, 'q')).length, 2, "the second's jobs went back");
    await store.unregister(first);
    assert.deepEqual((await store.admin().workers()).map((view) => view.id), []);
  });

  r.case('identity: a restarted single worker gets a new instance while its predecessor\'s lease runs; then its predecessor is reaped', async ({ store, worker }) => {
    const shown = 'pod-7:1:q';
    await pushAll(store, 'q', payloads('q', 3));
    const before = await worker(['q'], store, { id: shown, ...short });
    assert.equal((await store.reserve(before, ['q'], 3, 1)).length, 3);
    const after = await worker(['q'], store, { id: shown });
    assert.notEqual(after, before);
    assert.deepEqual(await store.reserve(after, ['q'], 10), [], "the predecessor's jobs are not the successor's");
    await leaseRunsOut();
    const result = await store.recover(recoverDefaults);
    assert.deepEqual([result.deadWorkers, result.requeued, result.poisoned], [[before], 3, 0]);
    assert.equal((await store.reserve(after, ['q'], 10)).length, 3);
    assert.deepEqual((await store.admin().workers()).map((view) => view.id), [shown], 'the live successor still shows the Resque id');
  });

  r.case('leases run on the store clock: a client clock an hour off neither kills a live worker nor keeps a dead one', async ({ store, worker }) => {
    const live = await withClockOff(-3_600_000, () => worker(['q'], store, { leaseMs: 10_000 }));
    const dying = await withClockOff(3_600_000, () => worker(['q'], store, short));
    await withClockOff(3_600_000, () => store.heartbeat(live, { workingOn: null }));
    await leaseRunsOut();
    const result = await withClockOff(3_600_000, () => store.recover(recoverDefaults));
    assert.deepEqual(result.deadWorkers, [dying]);
    assert.equal((await withClockOff(-3_600_000, () => store.heartbeat(live, { workingOn: null }))).known, true);
  });

  r.case('due times run on the store clock: a delay from a client whose clock is off is still that delay', async ({ store, worker }) => {
    const w = await worker(['q']);
    const [soon, later] = payloads('q', 2);
    await withClockOff(3_600_000, () => store.schedule([{ queue: 'q', payload: soon!, runAt: Date.now() + 50 }]));
    await withClockOff(-3_600_000, () => store.schedule([{ queue: 'q', payload: later!, runAt: Date.now() + 60_000 }]));
    await sleep(150);
    const promoted = await withClockOff(-3_600_000, () => store.recover(recoverDefaults));
    assert.equal(promoted.promoted, 1);
    assert.ok(promoted.nextDueInMs! > 50_000 && promoted.nextDueInMs! <= 60_000, `next due in ${promoted.nextDueInMs} ms`);
    assert.deepEqual((await store.reserve(w, ['q'], 10)).map((job) => job.payload), [soon]);
  });

  r.case('each worker is judged by its own lease: a long-lease worker outlives a short-lease one', async ({ store, worker }) => {
    const long = await worker(['q'], store, { leaseMs: 5_000 });
    const brief = await worker(['q'], store, short);
    await leaseRunsOut();
    assert.deepEqual((await store.recover(recoverDefaults)).deadWorkers, [brief]);
    assert.equal((await store.heartbeat(long, { workingOn: null })).known, true);
  });

  r.case('a lease only a little expired (under expiredForMs, store time) is not reaped yet', async ({ store, worker }) => {
    const late = await worker(['q'], store, short);
    await leaseRunsOut();
    assert.deepEqual((await store.recover({ ...recoverDefaults, expiredForMs: 60_000 })).deadWorkers, []);
    assert.deepEqual((await store.recover({ ...recoverDefaults, expiredForMs: 0 })).deadWorkers, [late]);
  });

  r.case('outage grace: recover without reapDead, or past its contact bound, declares nobody dead but still promotes', async ({ store, worker }) => {
    const w = await worker(['q']);
    const dying = await worker(['q'], store, short);
    await store.schedule([{ queue: 'q', payload: payloads('q', 1)[0]!, runAt: Date.now() - 1 }]);
    await leaseRunsOut();
    const withheld = await store.recover({ ...recoverDefaults, reapDead: false });
    assert.deepEqual([withheld.deadWorkers, withheld.promoted], [[], 1]);
    const beat = await store.heartbeat(w, { workingOn: null });
    // The vouching heartbeat is older than its bound: the store froze in between, say.
    const stale = await store.recover({ ...recoverDefaults, contactAt: beat.storeNow - 10_000, contactWithinMs: 1_000 });
    assert.deepEqual(stale.deadWorkers, []);
    const fresh = await store.recover({ ...recoverDefaults, contactAt: beat.storeNow, contactWithinMs: 5_000 });
    assert.deepEqual(fresh.deadWorkers, [dying]);
  });

  r.case('blame: only jobs up to the started watermark count a death, moved by reserve, settle and heartbeat', async ({ store, worker }) => {
    const list = payloads('q', 8);
    await pushAll(store, 'q', list);
    const w = await worker(['q'], store, short);
    const held = await store.reserve(w, ['q'], 8, 1);
    // Started from the buffer: held[1] (reported by a settle), then held[2] (by a heartbeat).
    await store.settle(w, [{ token: held[0]!.token, kind: 'done' }], Number(held[1]!.token));
    await store.heartbeat(w, { workingOn: null, startedUpTo: Number(held[2]!.token) });
    await leaseRunsOut();
    const result = await store.recover({ ...recoverDefaults, maxDeaths: 1 });
    assert.deepEqual([result.requeued, result.poisoned], [5, 2], 'held[1] and held[2] had started; held[3..7] were only prefetched');
    const failed = (await store.admin().failed(0, 10)).map((entry) => JSON.stringify(entry.entry!.payload));
    assert.deepEqual(failed, [list[1], list[2]].map((p) => JSON.stringify(JSON.parse(p!))));
    assert.deepEqual(await contents(store, 'q'), list.slice(3));
  });

  r.case('a zombie\'s late settle does not bring its registration back', async ({ store, worker }) => {
    await pushAll(store, 'q', payloads('q', 1));
    const w = await worker(['q'], store, short);
    const [job] = await store.reserve(w, ['q'], 1, 1);
    await leaseRunsOut();
    await store.recover(recoverDefaults);
    await store.settle(w, [{ token: job!.token, kind: 'done' }], Number(job!.token));
    await store.heartbeat(w, { workingOn: null, startedUpTo: Number(job!.token) });
    assert.deepEqual((await store.admin().workers()).map((view) => view.id), []);
    assert.deepEqual(await store.reserve(w, ['q'], 1), [], 'and it takes nothing until it registers again');
  });
}
