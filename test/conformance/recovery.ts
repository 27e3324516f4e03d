// Conformance: heartbeat, recovery of dead workers (requeue at the head, zombies, poison jobs),
// unregister. Leases run on the store's clock: a dead worker is one registered with a short
// lease that the case let run out (leaseRunsOut), a live one has a long lease.

import assert from 'node:assert/strict';
import { PoisonJobError } from '../../src/errors.ts';
import { contents, knownPaused, leaseRunsOut, payload, payloads, pushAll, recoverDefaults, Registry, settlesWithin, SHORT_LEASE_MS, sleep } from './harness.ts';

const short = { leaseMs: SHORT_LEASE_MS };

export function recoveryCases(r: Registry): void {
  r.case('heartbeat: known for a registered worker, unknown otherwise', async ({ store, worker }) => {
    const w = await worker(['q']);
    assert.deepEqual(knownPaused(await store.heartbeat(w, { workingOn: null })), { known: true, paused: false });
    assert.deepEqual(knownPaused(await store.heartbeat('never-registered:1:q', { workingOn: null })), { known: false, paused: false });
    const views = await store.admin().workers();
    assert.deepEqual(views.map((v) => v.id), [w]);
    assert.deepEqual(views[0]!.queues, ['q']);
    assert.equal(views[0]!.inFlight, 0);
  });

  r.case('heartbeat says when maintenance has work: a worker whose lease ran out; its own heartbeat renews it', async ({ store, worker }) => {
    const w = await worker(['q']);
    const other = await worker(['q'], store, { leaseMs: 500 });
    assert.equal((await store.heartbeat(w, { workingOn: null })).maintenanceDue, false);
    await sleep(700);
    assert.equal((await store.heartbeat(w, { workingOn: null })).maintenanceDue, true, '`other` let its lease run out');
    // An expired lease nobody reaped yet is renewed: nobody took its jobs.
    assert.equal((await store.heartbeat(other, { workingOn: null })).known, true);
    assert.equal((await store.heartbeat(w, { workingOn: null })).maintenanceDue, false);
  });

  r.case('heartbeat says when maintenance has work: a scheduled job is due; and in how long the next one is', async ({ store, worker }) => {
    const w = await worker(['q']);
    const inRange = (ms: number | undefined, low: number, high: number) => ms !== undefined && ms >= low && ms <= high;
    assert.equal((await store.heartbeat(w, { workingOn: null })).nextDueInMs, undefined);
    await store.schedule([{ queue: 'q', payload: payload('q', 'later'), runAt: Date.now() + 60_000 }]);
    const before = await store.heartbeat(w, { workingOn: null });
    assert.equal(before.maintenanceDue, false);
    assert.ok(inRange(before.nextDueInMs, 50_000, 60_000), `due in ${before.nextDueInMs} ms`);
    await store.schedule([{ queue: 'q', payload: payload('q', 'due'), runAt: Date.now() - 1_000 }]);
    const after = await store.heartbeat(w, { workingOn: null });
    assert.deepEqual([after.maintenanceDue, after.nextDueInMs], [true, 0]);
    await store.recover(recoverDefaults);
    const promoted = await store.heartbeat(w, { workingOn: null });
    assert.equal(promoted.maintenanceDue, false);
    assert.ok(inRange(promoted.nextDueInMs, 50_000, 60_000), `due in ${promoted.nextDueInMs} ms`);
    assert.ok(Math.abs(promoted.storeNow - Date.now()) < 60_000, `storeNow ${promoted.storeNow} is epoch ms`);
  });

  r.case('heartbeat says whether the given queues hold a waiting job (in-flight ones do not count)', async ({ store, worker }) => {
    const w = await worker(['q']);
    const beat = async (queues?: readonly string[] | '*') => (await store.heartbeat(w, { workingOn: null }, { queues })).workWaiting;
    assert.deepEqual([await beat(['q']), await beat('*'), await beat()], [false, false, false]);
    await pushAll(store, 'other', payloads('other', 1));
    assert.deepEqual([await beat(['q']), await beat(['q', 'other']), await beat('*'), await beat()], [false, true, true, false]);
    await store.reserve(w, ['other'], 10);
    assert.deepEqual([await beat(['q', 'other']), await beat('*')], [false, false], 'a reserved job is not waiting');
    await pushAll(store, 'q', payloads('q', 1));
    assert.deepEqual([await beat(['q']), await beat('*')], [true, true]);
  });

  r.case('recover leaves live workers alone', async ({ store, worker }) => {
    const jobs = payloads('q', 2);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q']);
    await store.reserve(w, ['q'], 2);
    const result = await store.recover(recoverDefaults);
    assert.deepEqual(result.deadWorkers, []);
    assert.equal(result.requeued, 0);
    assert.deepEqual(await contents(store, 'q'), []);
    assert.deepEqual(knownPaused(await store.heartbeat(w, { workingOn: null })), { known: true, paused: false });
  });

  r.case("recover reaps a worker whose lease ran out: its jobs go back to the head of their queues in order", async ({ store, worker }) => {
    const q = payloads('q', 5, 'q');
    const o = payloads('o', 3, 'o');
    await pushAll(store, 'q', q);
    await pushAll(store, 'o', o);
    const w = await worker(['q', 'o'], store, short);
    const held = await store.reserve(w, ['q', 'o'], 7); // q0..q4, o0, o1
    assert.equal(held.length, 7);
    await store.settle(w, [{ token: held[1]!.token, kind: 'done' }]); // q1 finished before the death
    await pushAll(store, 'q', payloads('q', 1, 'late'));
    await leaseRunsOut();
    const result = await store.recover(recoverDefaults);
    assert.deepEqual(result.deadWorkers, [w]);
    assert.equal(result.requeued, 6);
    assert.equal(result.poisoned, 0);
    const queued = await contents(store, 'q');
    assert.deepEqual(queued.slice(0, 4), [q[0], q[2], q[3], q[4]], 'back at the head, in order');
    assert.equal(queued.length, 5);
    assert.deepEqual(await contents(store, 'o'), o);
    assert.deepEqual(knownPaused(await store.heartbeat(w, { workingOn: null })), { known: false, paused: false });
    assert.deepEqual((await store.admin().workers()).map((v) => v.id), [], 'the dead worker is unregistered');
    const again = await store.recover(recoverDefaults);
    assert.deepEqual(again.deadWorkers, [], 'a reaped worker is reaped once');
    assert.equal(again.requeued, 0);
  });

  r.case('a reaped worker (zombie) settles and releases nothing', async ({ store, worker }) => {
    const jobs = payloads('q', 3);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q'], store, short);
    const held = await store.reserve(w, ['q'], 3);
    const before = await store.admin().stats();
    await leaseRunsOut();
    await store.recover(recoverDefaults);
    const late = await store.settle(w, [
      { token: held[0]!.token, kind: 'done' },
      { token: held[1]!.token, kind: 'failed', entry: '{"exception":"Late"}' },
      { token: held[2]!.token, kind: 'retry', job: { queue: 'q', payload: held[2]!.payload, runAt: Date.now() } },
    ]);
    assert.deepEqual(late, { settled: 0 });
    assert.equal(await store.release(w, held.map((j) => j.token)), 0);
    const after = await store.admin().stats();
    assert.equal(after.processed, before.processed);
    assert.equal(after.failed, before.failed);
    assert.equal(after.failedCount, 0);
    assert.equal(after.scheduled, 0);
    assert.deepEqual(await contents(store, 'q'), jobs, 'each job exactly once, in order');
  });

  r.case('a reaped worker that reserves again before noticing loses no job', async ({ store, worker }) => {
    const jobs = payloads('q', 3);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q'], store, short);
    await store.reserve(w, ['q'], 1);
    await leaseRunsOut();
    await store.recover(recoverDefaults);
    // The zombie has not heartbeaten yet, so it reserves again; then it really dies.
    const taken = await store.reserve(w, ['q'], 10);
    // A worker the store declared dead takes nothing until it registers again: no recovery would
    // look at what it held.
    assert.deepEqual(taken, [], 'a reaped worker took jobs');
    assert.deepEqual(await contents(store, 'q'), jobs, 'the zombie\'s reserve moved nothing');
    const result = await store.recover(recoverDefaults);
    const queued = await contents(store, 'q');
    assert.deepEqual([...queued].sort(), [...jobs].sort(),
      `zombie took ${taken.length} job(s); after it died the queue holds ${queued.length} of ${jobs.length} (recover requeued ${result.requeued})`);
  });

  r.case('a job in flight in maxDeaths worker deaths goes to failed as PoisonJobError', async ({ store, worker }) => {
    const [poison, innocent] = payloads('q', 2);
    await pushAll(store, 'q', [poison!]);
    const maxDeaths = 3;
    for (let death = 1; death <= maxDeaths; death++) {
      const w = await worker(['q'], store, short);
      const [job] = await store.reserve(w, ['q'], 1, 1);
      assert.equal(job?.payload, poison, `the job is reserved again for death ${death}`);
      await leaseRunsOut();
      const result = await store.recover({ ...recoverDefaults, maxDeaths });
      assert.deepEqual(result.deadWorkers, [w]);
      if (death < maxDeaths) {
        assert.deepEqual([result.requeued, result.poisoned], [1, 0], `death ${death}: requeued`);
      } else {
        assert.deepEqual([result.requeued, result.poisoned], [0, 1], `death ${death}: poisoned`);
        const failed = await store.admin().failed(0, 10);
        assert.equal(failed.length, 1);
        const entry = failed[0]!.entry!;
        assert.equal(entry.exception, 'PoisonJobError');
        assert.equal(entry.queue, 'q');
        assert.equal(entry.worker, w, 'the Resque id it showed (its own instance id here)');
        assert.deepEqual(entry.payload, JSON.parse(poison!));
        assert.equal(entry.error, new PoisonJobError(maxDeaths).message);
        assert.deepEqual(entry.backtrace, []);
        // Resque's failed_at (strftime "%Y/%m/%d %H:%M:%S %Z"), written at the reaping.
        const at = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/.exec(String(entry.failed_at));
        assert.ok(at, `failed_at ${String(entry.failed_at)} is in Resque's format`);
        const failedAt = Date.parse(`${at[1]}-${at[2]}-${at[3]}T${at[4]}Z`);
        assert.ok(Math.abs(failedAt - Date.now()) < 5 * 60_000, `failed_at ${String(entry.failed_at)} is the time of the reaping`);
      }
    }
    assert.deepEqual(await contents(store, 'q'), [], 'the poison job is not requeued');
    assert.equal((await store.admin().stats()).failed, 1);
    // Deaths are counted per job: another job dying once is only requeued.
    await pushAll(store, 'q', [innocent!]);
    const w = await worker(['q'], store, short);
    await store.reserve(w, ['q'], 1, 1);
    await leaseRunsOut();
    const result = await store.recover({ ...recoverDefaults, maxDeaths });
    assert.deepEqual([result.requeued, result.poisoned], [1, 0]);
  });

  r.case('a death blames only the jobs the worker had started (reserve startNow), not its prefetched ones', async ({ store, worker }) => {
    const list = payloads('q', 6);
    const maxDeaths = 2;
    for (let death = 1; death <= maxDeaths; death++) {
      await pushAll(store, 'q', death === 1 ? list : []);
      const id = await worker(['q'], store, { ...short, concurrency: 2 });
      assert.equal((await store.reserve(id, ['q'], 6, 2)).length, 6);
      await leaseRunsOut();
      const result = await store.recover({ ...recoverDefaults, maxDeaths });
      assert.deepEqual(result.deadWorkers, [id]);
      if (death === maxDeaths) assert.deepEqual([result.requeued, result.poisoned], [4, 2], 'only the two started reach the limit');
    }
    const failed = (await store.admin().failed(0, 10)).map((f) => JSON.stringify(f.entry!.payload));
    assert.deepEqual(failed, list.slice(0, 2).map((p) => JSON.stringify(JSON.parse(p))));
    assert.deepEqual(await contents(store, 'q'), list.slice(2), 'the prefetched four are back, in order');
  });

  r.case('unregister puts held jobs back at the head and counts no death', async ({ store, worker }) => {
    const jobs = payloads('q', 4);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q']);
    const held = await store.reserve(w, ['q'], 2);
    await store.unregister(w);
    assert.deepEqual(await contents(store, 'q'), jobs);
    assert.deepEqual(knownPaused(await store.heartbeat(w, { workingOn: null })), { known: false, paused: false });
    assert.deepEqual((await store.admin().workers()).map((v) => v.id), []);
    assert.deepEqual(await store.settle(w, [{ token: held[0]!.token, kind: 'done' }]), { settled: 0 });
    // One graceful stop plus one death stays under maxDeaths = 2: the job is requeued, not poisoned.
    const w2 = await worker(['q'], store, short);
    const [job] = await store.reserve(w2, ['q'], 1, 1);
    assert.equal(job?.payload, jobs[0]);
    await leaseRunsOut();
    const result = await store.recover({ ...recoverDefaults, maxDeaths: 2 });
    assert.deepEqual([result.requeued, result.poisoned], [1, 0]);
    assert.deepEqual(await contents(store, 'q'), jobs);
  });

  r.case('a worker can register again after being reaped and work normally', async ({ store, worker }) => {
    const jobs = payloads('q', 2);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q'], store, short);
    const [first] = await store.reserve(w, ['q'], 1);
    await leaseRunsOut();
    await store.recover(recoverDefaults);
    assert.equal((await store.heartbeat(w, { workingOn: null })).known, false);
    // Nobody holds the id any more, so the new instance may take it again.
    assert.equal(await store.register({ id: w, queues: ['q'], startedAt: new Date(), leaseMs: 60_000 }), w);
    assert.equal((await store.heartbeat(w, { workingOn: null })).known, true);
    const again = await store.reserve(w, ['q'], 2);
    assert.deepEqual(again.map((j) => j.payload), jobs);
    assert.deepEqual(await store.settle(w, [{ token: first!.token, kind: 'done' }]), { settled: 0 }, 'a pre-death token is dead, even if reused ids collide');
    assert.equal((await store.admin().stats()).workers.find((v) => v.id === w)?.inFlight, 2);
  });

  r.case('a Resque id reused by a new instance (restarted container, PID 1 again) loses no job its predecessor held', async ({ store, another, worker }) => {
    const jobs = payloads('q', 4);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q'], store, short);
    await store.reserve(w, ['q'], 2, 1);
    // Same host and pid after a restart: a fresh instance showing the same Resque id.
    const restarted = await another();
    const successor = await restarted.register({ id: w, queues: ['q'], startedAt: new Date(), leaseMs: 60_000 });
    assert.notEqual(successor, w, 'the successor gets its own instance id');
    assert.equal((await restarted.reserve(successor, ['q'], 2)).length, 2);
    // The predecessor's lease runs out although a live process shows its Resque id.
    await leaseRunsOut();
    const result = await restarted.recover(recoverDefaults);
    assert.deepEqual([result.deadWorkers, result.requeued], [[w], 2]);
    await restarted.unregister(successor);
    const queued = await contents(restarted, 'q');
    assert.deepEqual([...queued].sort(), [...jobs].sort(), `${queued.length} of ${jobs.length} jobs came back`);
  }, { needsAnother: true });

  r.case('recover handing jobs back wakes a worker waiting on their queue', async ({ store, another, worker }) => {
    const reaper = await another();
    await pushAll(store, 'q', payloads('q', 1));
    const dying = await worker(['q'], reaper, short);
    assert.equal((await reaper.reserve(dying, ['q'], 1)).length, 1);
    const waiting = await worker(['q']);
    assert.deepEqual(await store.reserve(waiting, ['q'], 1), []);
    const wait = store.waitForWork(waiting, ['q'], 10_000);
    await leaseRunsOut();
    const result = await reaper.recover(recoverDefaults);
    assert.deepEqual(result.deadWorkers, [dying]);
    assert.ok(await settlesWithin(wait, 6_000), 'a waiting worker slept on while a dead worker\'s job went back to its queue');
    assert.equal((await store.reserve(waiting, ['q'], 1)).length, 1);
  }, { needsAnother: true });
}
