// Conformance: settle (done / retry / failed), settling what is no longer held, release, and the
// scheduled set (schedule + promotion by recover).

import assert from 'node:assert/strict';
import { contents, payload, payloads, pushAll, recoverDefaults, Registry, sleep } from './harness.ts';

/** A recover() that reaps nobody, only promotes (due by the store's clock). */
const promoteOnly = (promoteLimit = 1_000) => ({ ...recoverDefaults, reapDead: false, promoteLimit });

/** `ms` (a delay the store computed on its clock) is `expected` give or take the time a case takes. */
function about(ms: number | undefined, expected: number, what: string): void {
  assert.ok(ms !== undefined && ms <= expected && ms > expected - 5_000, `${what}: ${ms} ms, expected about ${expected}`);
}

function failureEntry(payloadText: string, queue: string, worker: string, message: string): string {
  // Deliberately not in JSON.stringify's canonical shape: the store must keep the text as is.
  return `{"failed_at":"2026/11/28 01:51:55 UTC","payload":${payloadText},"exception":"RuntimeError","error":${JSON.stringify(message)},"backtrace":["a.rb:1","b.rb:2"],"worker":${JSON.stringify(worker)},"queue":${JSON.stringify(queue)},  "note":"ünï"}`;
}

export function settleCases(r: Registry): void {
  r.case('settle done removes jobs from flight and counts them processed', async ({ store, worker }) => {
    await pushAll(store, 'q', payloads('q', 3));
    const w = await worker(['q']);
    const [a, b, c] = await store.reserve(w, ['q'], 3);
    assert.deepEqual(await store.settle(w, [{ token: a!.token, kind: 'done' }, { token: b!.token, kind: 'done' }]), { settled: 2 });
    const stats = await store.admin().stats();
    assert.equal(stats.processed, 2);
    assert.equal(stats.failed, 0);
    assert.equal(stats.workers.find((v) => v.id === w)?.inFlight, 1);
    assert.deepEqual(await store.settle(w, [{ token: c!.token, kind: 'done' }]), { settled: 1 });
    assert.equal((await store.admin().stats()).workers.find((v) => v.id === w)?.inFlight, 0);
    assert.deepEqual(await contents(store, 'q'), [], 'settled jobs do not come back');
  });

  r.case('settled attempts that name their queue count in that queue\'s recent throughput', async ({ store, worker }) => {
    await pushAll(store, 'a', payloads('a', 3));
    await pushAll(store, 'b', payloads('b', 1));
    const w = await worker(['a', 'b']);
    const jobs = await store.reserve(w, ['a', 'b'], 4);
    await store.settle(w, jobs.map((job) => ({ token: job.token, kind: 'done' as const, queue: job.queue })));
    const recent = Object.fromEntries((await store.admin().stats()).queues.map((q) => [q.name, q.recentlyDone]));
    assert.deepEqual(recent, { a: 3, b: 1 });
  });

  r.case('settle failed stores the entry verbatim and moves processed and failed', async ({ store, worker }) => {
    const jobs = payloads('q', 2);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q']);
    const [a, b] = await store.reserve(w, ['q'], 2);
    const entryA = failureEntry(a!.payload, 'q', w, 'boom "quoted"\nsecond line');
    const entryB = failureEntry(b!.payload, 'q', w, 'bang');
    assert.deepEqual(await store.settle(w, [
      { token: a!.token, kind: 'failed', entry: entryA },
      { token: b!.token, kind: 'failed', entry: entryB },
    ]), { settled: 2 });
    const failed = await store.admin().failed(0, 10);
    assert.deepEqual(failed.map((f) => f.raw), [entryA, entryB], 'entries kept byte for byte, oldest first');
    assert.deepEqual(failed.map((f) => f.index), [0, 1]);
    assert.deepEqual(failed[0]!.entry, JSON.parse(entryA));
    const stats = await store.admin().stats();
    assert.equal(stats.failed, 2);
    assert.equal(stats.processed, 2, 'a failed job was processed too (Resque counts both)');
    assert.equal(stats.failedCount, 2);
    assert.equal(await store.admin().failedCount(), 2);
  });

  r.case('settle retry schedules the new payload; recover promotes it once due (store clock) and reports nextDueInMs', async ({ store, worker }) => {
    const original = payload('q', 'retry-me');
    await pushAll(store, 'q', [original]);
    const w = await worker(['q']);
    const [job] = await store.reserve(w, ['q'], 1);
    const next = JSON.stringify({ ...JSON.parse(original), attempt: 2 });
    const runAt = Date.now() + 300;
    assert.deepEqual(await store.settle(w, [{ token: job!.token, kind: 'retry', job: { queue: 'q', payload: next, runAt } }]), { settled: 1 });
    assert.equal(await store.admin().scheduledCount(), 1);
    assert.equal((await store.admin().stats()).scheduled, 1);
    assert.equal((await store.admin().stats()).failed, 1, 'a failed attempt counts as failed even when it will be retried (as in Resque)');
    assert.deepEqual(await contents(store, 'q'), [], 'not queued before it is due');

    const early = await store.recover(promoteOnly());
    assert.equal(early.promoted, 0);
    assert.ok(early.nextDueInMs !== undefined && early.nextDueInMs > 0 && early.nextDueInMs <= 300, `due in ${early.nextDueInMs} ms`);
    assert.deepEqual(await store.reserve(w, ['q'], 10), []);

    await pushAll(store, 'q', [payload('q', 'already-waiting')]);
    await sleep(400);
    const due = await store.recover(promoteOnly());
    assert.equal(due.promoted, 1);
    assert.equal(due.nextDueInMs, undefined);
    assert.equal(await store.admin().scheduledCount(), 0);
    const queued = await contents(store, 'q');
    assert.equal(queued.length, 2);
    assert.equal(queued[1], next, 'a promoted job joins the tail of its queue');
    assert.deepEqual(await store.recover(promoteOnly()), { deadWorkers: [], requeued: 0, poisoned: 0, promoted: 0, nextDueInMs: undefined });
  });

  r.case('schedule + recover promote due jobs in due order, within promoteLimit', async ({ store, worker }) => {
    const base = Date.now();
    const jobs = [
      { queue: 'q', payload: payload('q', 'third'), runAt: base + 30 },
      { queue: 'q', payload: payload('q', 'first'), runAt: base + 10 },
      { queue: 'other', payload: payload('other', 'second'), runAt: base + 20 },
      { queue: 'q', payload: payload('q', 'later'), runAt: base + 3_600_000 },
    ];
    await store.schedule(jobs);
    assert.equal(await store.admin().scheduledCount(), 4);
    await sleep(100);
    const first = await store.recover(promoteOnly(2));
    assert.equal(first.promoted, 2);
    assert.equal(first.nextDueInMs, 0, 'the third is due already');
    const second = await store.recover(promoteOnly(2));
    assert.equal(second.promoted, 1);
    about(second.nextDueInMs, 3_600_000, 'the later one');
    assert.deepEqual(await contents(store, 'q'), [jobs[1]!.payload, jobs[0]!.payload]);
    assert.deepEqual(await contents(store, 'other'), [jobs[2]!.payload]);
    assert.ok((await store.admin().queues()).includes('other'), 'a promoted job registers its queue');
    const w = await worker(['q']);
    assert.deepEqual((await store.reserve(w, ['q'], 10)).map((j) => j.payload), [jobs[1]!.payload, jobs[0]!.payload]);
  });

  r.case('identical payloads scheduled or retried are all kept (Resque payloads carry no id)', async ({ store, worker }) => {
    const same = '{"class":"Archive","args":[44,"masterbrew"]}';
    await pushAll(store, 'q', [same, same]);
    const w = await worker(['q']);
    const [a, b] = await store.reserve(w, ['q'], 2);
    const runAt = Date.now() + 50;
    assert.deepEqual(await store.settle(w, [
      { token: a!.token, kind: 'retry', job: { queue: 'q', payload: same, runAt } },
      { token: b!.token, kind: 'retry', job: { queue: 'q', payload: same, runAt: runAt + 1 } },
    ]), { settled: 2 });
    await store.schedule([{ queue: 'q', payload: same, runAt }]);
    assert.equal(await store.admin().scheduledCount(), 3);
    await sleep(150);
    assert.equal((await store.recover(promoteOnly())).promoted, 3);
    assert.deepEqual(await contents(store, 'q'), [same, same, same], 'no job may be lost for looking like another');
  });

  r.case('settle with unknown, foreign or already-settled tokens applies nothing', async ({ store, worker }) => {
    await pushAll(store, 'q', payloads('q', 2));
    const w = await worker(['q']);
    const other = await worker(['q']);
    const [a, b] = await store.reserve(w, ['q'], 2);
    assert.deepEqual(await store.settle(w, [{ token: a!.token, kind: 'done' }]), { settled: 1 });
    const entry = failureEntry(a!.payload, 'q', w, 'late');
    assert.deepEqual(await store.settle(w, [
      { token: a!.token, kind: 'done' },
      { token: a!.token, kind: 'failed', entry },
      { token: a!.token, kind: 'retry', job: { queue: 'q', payload: a!.payload, runAt: Date.now() } },
      { token: 'no-such-token', kind: 'failed', entry },
    ]), { settled: 0 });
    assert.deepEqual(await store.settle(other, [{ token: b!.token, kind: 'failed', entry }]), { settled: 0 }, "another worker's token");
    assert.deepEqual(await store.settle('nobody:1:q', [{ token: b!.token, kind: 'done' }]), { settled: 0 }, 'unknown worker');
    const stats = await store.admin().stats();
    assert.equal(stats.processed, 1);
    assert.equal(stats.failed, 0);
    assert.equal(stats.failedCount, 0);
    assert.equal(stats.scheduled, 0);
    assert.equal(stats.workers.find((v) => v.id === w)?.inFlight, 1, 'b is still held by w');
    assert.deepEqual(await store.settle(w, [{ token: b!.token, kind: 'done' }]), { settled: 1 });
  });

  r.case('settle applies a mixed batch and skips only the stale outcomes', async ({ store, worker }) => {
    await pushAll(store, 'q', payloads('q', 4));
    const w = await worker(['q']);
    const [a, b, c, d] = await store.reserve(w, ['q'], 4);
    await store.release(w, [d!.token]);
    const entry = failureEntry(b!.payload, 'q', w, 'x');
    const result = await store.settle(w, [
      { token: a!.token, kind: 'done' },
      { token: b!.token, kind: 'failed', entry },
      { token: c!.token, kind: 'retry', job: { queue: 'q', payload: c!.payload, runAt: Date.now() + 60_000 } },
      { token: d!.token, kind: 'done' },
    ]);
    assert.deepEqual(result, { settled: 3 });
    assert.equal(await store.admin().failedCount(), 1);
    assert.equal(await store.admin().scheduledCount(), 1);
    assert.deepEqual(await contents(store, 'q'), [d!.payload], 'the released job stays queued');
  });

  r.case('release puts jobs back at the head in their original order', async ({ store, worker }) => {
    const jobs = payloads('q', 5);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q']);
    const held = await store.reserve(w, ['q'], 3);
    assert.equal(await store.release(w, held.map((j) => j.token)), 3);
    assert.deepEqual(await contents(store, 'q'), jobs);
    assert.equal((await store.admin().stats()).workers.find((v) => v.id === w)?.inFlight, 0);
    assert.equal(await store.release(w, held.map((j) => j.token)), 0, 'released tokens are no longer held');
    assert.deepEqual(await contents(store, 'q'), jobs, 'a second release duplicates nothing');
    assert.deepEqual(await store.settle(w, [{ token: held[0]!.token, kind: 'done' }]), { settled: 0 });
  });

  r.case('release of part of a batch, tokens in any order, keeps reservation order', async ({ store, worker }) => {
    const jobs = payloads('q', 6);
    const other = payloads('other', 2);
    await pushAll(store, 'q', jobs);
    await pushAll(store, 'other', other);
    const w = await worker(['q', 'other']);
    const held = await store.reserve(w, ['q', 'other'], 7); // q0..q5, other0
    assert.equal(held.length, 7);
    const [j0, j1, j2, j3, , j5, o0] = held;
    assert.equal(await store.release(w, [j5!.token, o0!.token, j0!.token, j3!.token, j2!.token]), 5);
    assert.deepEqual(await contents(store, 'q'), [jobs[0], jobs[2], jobs[3], jobs[5]]);
    assert.deepEqual(await contents(store, 'other'), other);
    assert.equal((await store.admin().stats()).workers.find((v) => v.id === w)?.inFlight, 2);
    assert.deepEqual(await store.settle(w, [{ token: j1!.token, kind: 'done' }]), { settled: 1 });
  });
}
