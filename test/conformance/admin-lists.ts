// Conformance: the admin list edits the dashboard uses — remove one waiting job, clear a queue,
// the scheduled list by due time (run one now, remove one, run or remove all that match), and the failed list's filtered bulk
// actions (remove or retry all that match, in one pass); the scheduled jobs counted as retrying,
// down again by every way out of the set.

import assert from 'node:assert/strict';
import { contents, payload, payloads, pushAll, recoverDefaults, Registry } from './harness.ts';
import type { Store } from '../../src/storage/types.ts';

/** Failure entries with the given class, queue and error, put in the failed list through settle. */
async function failures(store: Store, workerId: string, specs: { cls: string; queue: string; error: string }[]): Promise<string[]> {
  await pushAll(store, 'doomed', specs.map((_, i) => payload('doomed', i)));
  const held = await store.reserve(workerId, ['doomed'], specs.length);
  const raws = specs.map((s, i) => JSON.stringify({ failed_at: '2026/11/28 01:51:55 UTC', payload: { class: s.cls, args: [i, 12345678901234567890n.toString()], queue: s.queue }, exception: 'RuntimeError', error: s.error, backtrace: [], worker: workerId, queue: s.queue }));
  await store.settle(workerId, held.map((job, i) => ({ token: job.token, kind: 'failed' as const, entry: raws[i]! })));
  return raws;
}

export function adminListCases(r: Registry): void {
  r.case('admin removeQueued removes one waiting job by value; clearQueue removes the waiting ones only', async ({ store, worker }) => {
    const jobs = payloads('q', 4);
    await pushAll(store, 'q', [...jobs, jobs[1]!]);
    const admin = store.admin();
    assert.equal(await admin.removeQueued('q', jobs[1]!), true);
    assert.deepEqual(await contents(store, 'q'), [jobs[0], jobs[2], jobs[3], jobs[1]], 'the first copy goes');
    assert.equal(await admin.removeQueued('q', 'not there'), false);
    assert.equal(await admin.removeQueued('other', jobs[0]!), false);
    const w = await worker(['q']);
    const [held] = await store.reserve(w, ['q'], 1);
    assert.equal(await admin.clearQueue('q'), 3);
    assert.deepEqual(await contents(store, 'q'), []);
    assert.deepEqual(await admin.queues(), ['q'], 'the queue stays known');
    assert.equal((await store.settle(w, [{ token: held!.token, kind: 'done' }])).settled, 1, 'the job in flight was not touched');
    assert.equal(await admin.clearQueue('q'), 0);
  });

  r.case('admin scheduled lists by due time; runScheduled queues one once; removeScheduled', async ({ store }) => {
    const now = Date.now();
    const [late, soon, middle] = [payload('s', 'late'), payload('s', 'soon'), payload('t', 'middle')];
    await store.schedule([
      { queue: 's', payload: late, runAt: now + 3_000_000 },
      { queue: 's', payload: soon, runAt: now + 1_000_000 },
      { queue: 't', payload: middle, runAt: now + 2_000_000 },
    ]);
    const admin = store.admin();
    const all = await admin.scheduled(0, 10);
    assert.deepEqual(all.map((e) => [e.index, e.queue, e.payload]), [[0, 's', soon], [1, 't', middle], [2, 's', late]]);
    assert.ok(all[0]!.runAt < all[1]!.runAt && all[1]!.runAt < all[2]!.runAt);
    assert.ok(Math.abs(all[0]!.runAt - (now + 1_000_000)) < 60_000, 'due times are epoch ms');
    assert.deepEqual((await admin.scheduled(1, 1)).map((e) => e.payload), [middle]);
    assert.deepEqual(await admin.scheduled(3, 10), []);
    assert.equal(await admin.runScheduled(all[1]!.key), true);
    assert.equal(await admin.runScheduled(all[1]!.key), false, 'once');
    assert.deepEqual(await contents(store, 't'), [middle]);
    assert.equal(await admin.removeScheduled(all[2]!.key), true);
    assert.equal(await admin.removeScheduled(all[2]!.key), false);
    assert.equal(await admin.runScheduled('no such key'), false);
    assert.deepEqual((await admin.scheduled(0, 10)).map((e) => e.payload), [soon]);
    assert.equal(await admin.scheduledCount(), 1);
    assert.deepEqual(await contents(store, 's'), [], 'removing queues nothing');
  });

  r.case('admin run/removeScheduledMatching by class and queue, in one pass over more than a chunk, in due order', async ({ store }) => {
    const now = Date.now();
    // 600 entries alternating class and spread over two queues, plus one that is not JSON: the
    // matches are spread through every 500-entry chunk the Redis script reads.
    const specs = Array.from({ length: 600 }, (_, i) => ({ cls: i % 2 === 0 ? 'A' : 'B', queue: i % 3 === 0 ? 'sa' : 'sb', payload: JSON.stringify({ class: i % 2 === 0 ? 'A' : 'B', args: [i], id: `sm-${i}` }) }));
    await store.schedule([...specs.map((s, i) => ({ queue: s.queue, payload: s.payload, runAt: now + 1_000_000 + i * 1000 })), { queue: 'sb', payload: 'not json B', runAt: now + 1_000 }]);
    const admin = store.admin();
    const left = async () => (await admin.scheduled(0, 1000)).map((e) => e.payload);
    assert.equal(await admin.removeScheduledMatching({ class: 'B', queue: 'sb' }), specs.filter((s) => s.cls === 'B' && s.queue === 'sb').length);
    let kept = specs.filter((s) => !(s.cls === 'B' && s.queue === 'sb'));
    assert.deepEqual(await left(), ['not json B', ...kept.map((s) => s.payload)], 'the rest stay, by due time; a class filter skips what is not JSON');
    assert.equal(await admin.runScheduledMatching({ class: 'Nope' }), 0);
    assert.equal(await admin.runScheduledMatching({ queue: 'sa' }), kept.filter((s) => s.queue === 'sa').length);
    assert.deepEqual(await contents(store, 'sa'), kept.filter((s) => s.queue === 'sa').map((s) => s.payload), 'run in due order, to the tail');
    kept = kept.filter((s) => s.queue !== 'sa');
    assert.deepEqual(await left(), ['not json B', ...kept.map((s) => s.payload)]);
    assert.deepEqual(await contents(store, 'sb'), [], 'nothing else queued');
    assert.equal(await admin.removeScheduledMatching({}), kept.length + 1, 'an empty filter takes every entry');
    assert.equal(await admin.scheduledCount(), 0);
  });

  r.case('admin removeFailedMatching by class, queue and error text, keeping the rest in order', async ({ store, worker }) => {
    const raws = await failures(store, await worker(['doomed']), [
      { cls: 'Mail', queue: 'mail', error: 'timeout after 5s' },
      { cls: 'Bill', queue: 'bill', error: 'card declined' },
      { cls: 'Mail', queue: 'bulk', error: 'card declined' },
      { cls: 'Mail', queue: 'mail', error: 'bounced' },
    ]);
    const admin = store.admin();
    const left = async () => (await admin.failed(0, 10)).map((f) => raws.indexOf(f.raw));
    assert.equal(await admin.removeFailedMatching({ class: 'Mail', error: 'declined' }), 1);
    assert.deepEqual(await left(), [0, 1, 3]);
    assert.equal(await admin.removeFailedMatching({ queue: 'mail', class: '' }), 2);
    assert.deepEqual(await left(), [1]);
    assert.equal(await admin.removeFailedMatching({ error: 'nothing like it' }), 0);
    assert.equal(await admin.removeFailedMatching({ error: 'RuntimeErr' }), 1, 'the exception class matches too');
    assert.equal(await admin.failedCount(), 0);
  });

  r.case('admin retryFailedMatching pushes the prepared jobs in one pass; unretryable entries stay', async ({ store, worker }) => {
    const w = await worker(['doomed']);
    const raws = await failures(store, w, [
      { cls: 'Mail', queue: 'mail', error: 'x' },
      { cls: 'Bill', queue: 'bill', error: 'x' },
      { cls: 'Mail', queue: 'mail', error: 'y' },
    ]);
    await pushAll(store, 'junk', ['not json']);
    const [junk] = await store.reserve(w, ['junk'], 1);
    await store.settle(w, [{ token: junk!.token, kind: 'failed', entry: 'not json either' }]);
    const admin = store.admin();
    const seen: number[] = [];
    const result = await admin.retryFailedMatching({ class: 'Mail' }, (entry) => {
      seen.push(entry.index);
      const p = entry.entry!.payload as { args: unknown[] };
      return { queue: 'mail', payload: JSON.stringify({ class: 'Mail', args: p.args }) };
    });
    assert.deepEqual(result, { retried: 2, skipped: 0 });
    assert.deepEqual(seen, [-1, -1]);
    const argsOf = (i: number) => JSON.parse(raws[i]!).payload.args;
    assert.deepEqual((await contents(store, 'mail')).map((p) => JSON.parse(p).args), [argsOf(0), argsOf(2)], 'in list order');
    assert.deepEqual((await admin.failed(0, 10)).map((f) => f.raw), [raws[1], 'not json either']);
    const all = await admin.retryFailedMatching({}, (entry) => (entry.entry ? { queue: 'bill', payload: '{"class":"Bill","args":[]}' } : undefined));
    assert.deepEqual(all, { retried: 1, skipped: 1 });
    assert.deepEqual((await admin.failed(0, 10)).map((f) => f.raw), ['not json either'], 'the unretryable entry stays');
    assert.deepEqual(await contents(store, 'bill'), ['{"class":"Bill","args":[]}']);
  });

  // Catches: a retry not counted, a delayed job or an unknown job put back counted, a way out
  // of the scheduled set (promote, run one, remove one, run or remove all that match) that
  // leaves the count behind.
  r.case('admin stats retrying: retries in the scheduled set, not delayed jobs nor unknown jobs put back; each way out counts down', async ({ store, worker }) => {
    const later = Date.now() + 3_600_000;
    const admin = store.admin();
    await store.schedule([{ queue: 'q', payload: payload('q', 'delayed'), runAt: later }]);
    const [inQ, inR] = [payloads('q', 5, 'q'), payloads('r', 2, 'r')];
    await pushAll(store, 'q', inQ);
    await pushAll(store, 'r', inR);
    const w = await worker(['q', 'r']);
    const held = await store.reserve(w, ['q', 'r'], 7);
    assert.equal(held.length, 7);
    // The first of q is due at once (for promote); the last of q is an unknown job put back.
    await store.settle(w, held.map((job, i) => ({
      token: job.token, kind: 'retry' as const, ...(i === 4 ? { deferred: true } : {}),
      job: { queue: job.queue, payload: job.payload, runAt: i === 0 ? Date.now() - 1_000 : later },
    })));
    const counts = async () => {
      const stats = await admin.stats();
      return [stats.scheduled, stats.retrying];
    };
    assert.deepEqual(await counts(), [8, 6], 'one delayed job and one unknown job put back are not retries');
    assert.equal((await store.recover({ ...recoverDefaults, reapDead: false })).promoted, 1);
    assert.deepEqual(await counts(), [7, 5], 'promoted');
    const entries = await admin.scheduled(0, 100);
    const keyOf = (p: string) => entries.find((e) => e.payload === p)!.key;
    assert.equal(await admin.runScheduled(keyOf(inQ[1]!)), true);
    assert.deepEqual(await counts(), [6, 4], 'run now');
    assert.equal(await admin.removeScheduled(keyOf(inQ[2]!)), true);
    assert.equal(await admin.removeScheduled(keyOf(inQ[2]!)), false);
    assert.deepEqual(await counts(), [5, 3], 'removed, once');
    assert.equal(await admin.runScheduledMatching({ queue: 'r' }), 2);
    assert.deepEqual(await counts(), [3, 1], 'run all that match');
    assert.equal(await admin.removeScheduledMatching({ queue: 'q' }), 3);
    assert.deepEqual(await counts(), [0, 0], 'removed all that match');
  });
}
