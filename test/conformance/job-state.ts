// Conformance: AdminStore.job(id), where a job is by its payload's id: waiting (queue and
// position), scheduled (due time, and the key the scheduled-set actions take), in flight (the
// instance and Resque id, and since when when the worker's heartbeat shows it), failed (with its
// error), unknown (finished, or never enqueued). Ids match exactly, not as substrings.

import assert from 'node:assert/strict';
import { Registry } from './harness.ts';
import type { Store } from '../../src/storage/types.ts';

let serial = 0;
/** A payload whose id is `id` (default: unique per call), shaped as errand writes it. */
function job(queue: string, id = `js-${process.pid}-${++serial}`, args: unknown[] = [1]): { id: string; payload: string } {
  return { id, payload: JSON.stringify({ class: 'JobStateCase', args, id, queue, enqueued_at: 1_700_000_000, attempt: 1 }) };
}

async function failOne(store: Store, workerId: string, queue: string, payload: string): Promise<string> {
  await store.push([{ queue, payload }]);
  const [held] = await store.reserve(workerId, [queue], 1);
  assert.equal(held?.payload, payload);
  const raw = JSON.stringify({ failed_at: '2026/11/28 01:51:55 UTC', payload: JSON.parse(payload), exception: 'RuntimeError', error: 'the printer is on fire', backtrace: [], worker: workerId, queue });
  assert.equal((await store.settle(workerId, [{ token: held!.token, kind: 'failed', entry: raw }])).settled, 1);
  return raw;
}

export function jobStateCases(r: Registry): void {
  r.case('admin job(id): a waiting job, with its queue and position', async ({ store }) => {
    const jobs = [job('js-a'), job('js-a'), job('js-a')];
    const other = job('js-b');
    await store.push([...jobs, other].map((j) => ({ queue: j.id === other.id ? 'js-b' : 'js-a', payload: j.payload })));
    assert.deepEqual(await store.admin().job(jobs[2]!.id), { state: 'waiting', id: jobs[2]!.id, queue: 'js-a', position: 2, payload: jobs[2]!.payload });
    assert.deepEqual(await store.admin().job(jobs[0]!.id), { state: 'waiting', id: jobs[0]!.id, queue: 'js-a', position: 0, payload: jobs[0]!.payload });
    assert.deepEqual(await store.admin().job(other.id), { state: 'waiting', id: other.id, queue: 'js-b', position: 0, payload: other.payload });
  });

  r.case('admin job(id): a scheduled job, with its due time and its scheduled-entry key', async ({ store }) => {
    const later = job('js-later');
    const before = Date.now();
    await store.schedule([{ queue: 'js-later', payload: later.payload, runAt: Date.now() + 3_600_000 }]);
    const found = await store.admin().job(later.id);
    assert.equal(found.state, 'scheduled');
    if (found.state !== 'scheduled') return;
    assert.equal(found.queue, 'js-later');
    assert.equal(found.payload, later.payload);
    // Store time; the store and this process share a machine, so an hour is an hour give or take a minute.
    assert.ok(Math.abs(found.runAt - (before + 3_600_000)) < 60_000, `runAt ${found.runAt} is about an hour from ${before}`);
    assert.equal(await store.admin().removeScheduled(found.key), true, 'the key is the scheduled entry\'s');
    assert.equal((await store.admin().job(later.id)).state, 'unknown');
  });

  r.case('admin job(id): a job in flight names the instance and Resque id, and since when once a heartbeat shows it', async ({ store, worker }) => {
    const resqueId = `js-host:${process.pid}:js-run`;
    const instance = await worker(['js-run'], store, { id: resqueId });
    const running = job('js-run');
    const prefetched = job('js-run');
    await store.push([running, prefetched].map((j) => ({ queue: 'js-run', payload: j.payload })));
    assert.equal((await store.reserve(instance, ['js-run'], 2)).length, 2);
    const expect = (j: { id: string; payload: string }, since: string | undefined) => ({ state: 'in-flight', id: j.id, queue: 'js-run', instance, worker: resqueId, since, payload: j.payload });
    assert.deepEqual(await store.admin().job(running.id), expect(running, undefined));
    await store.heartbeat(instance, { workingOn: { queue: 'js-run', payload: running.payload, runAt: new Date(Date.UTC(2026, 10, 28, 1, 2, 3)) } });
    assert.deepEqual(await store.admin().job(running.id), expect(running, '2026-11-28T01:02:03Z'));
    assert.deepEqual(await store.admin().job(prefetched.id), expect(prefetched, undefined), 'the heartbeat shows another job');
  });

  r.case('admin job(id): a failed job, with its error and the entry retryFailed takes', async ({ store, worker }) => {
    const w = await worker(['js-doomed']);
    const doomed = job('js-doomed');
    const raw = await failOne(store, w, 'js-doomed', doomed.payload);
    const found = await store.admin().job(doomed.id);
    assert.equal(found.state, 'failed');
    if (found.state !== 'failed') return;
    assert.deepEqual({ ...found, failure: undefined }, { state: 'failed', id: doomed.id, queue: 'js-doomed', exception: 'RuntimeError', error: 'the printer is on fire', failure: undefined });
    assert.equal(found.failure.raw, raw);
    assert.equal(found.failure.index, 0);
    assert.equal(await store.admin().retryFailed(found.failure.raw, { queue: 'js-doomed', payload: doomed.payload }), true);
    assert.equal((await store.admin().job(doomed.id)).state, 'waiting');
  });

  r.case('admin job(id): a finished job and an id never enqueued are unknown', async ({ store, worker }) => {
    assert.deepEqual(await store.admin().job('never-enqueued'), { state: 'unknown', id: 'never-enqueued' });
    const w = await worker(['js-done']);
    const done = job('js-done');
    await store.push([{ queue: 'js-done', payload: done.payload }]);
    assert.equal((await store.admin().job(done.id)).state, 'waiting');
    const [held] = await store.reserve(w, ['js-done'], 1);
    assert.equal((await store.admin().job(done.id)).state, 'in-flight');
    await store.settle(w, [{ token: held!.token, kind: 'done' }]);
    assert.deepEqual(await store.admin().job(done.id), { state: 'unknown', id: done.id });
  });

  // Catches (Redis): a sliced look-up that stops after its first slice, resumes at the wrong
  // offset or queue, or counts positions from the wrong end; (both) a look-up missing entries
  // deep in a long queue or failed list.
  r.case('admin job(id): found behind more entries than one slice reads, with the right position', async ({ store, worker }) => {
    const filler = Array.from({ length: 12_500 }, (_, i) => job('js-deep').payload.replace('"args":[1]', `"args":[${i}]`));
    const head = job('js-deep');
    const middle = job('js-deep');
    await store.push([{ queue: 'js-deep', payload: head.payload }, ...filler.slice(0, 6_000).map((payload) => ({ queue: 'js-deep', payload })),
      { queue: 'js-deep', payload: middle.payload }, ...filler.slice(6_000).map((payload) => ({ queue: 'js-deep', payload }))]);
    await store.push(filler.slice(0, 11_000).map((payload) => ({ queue: 'js-deeper', payload })));
    assert.deepEqual(await store.admin().job(head.id), { state: 'waiting', id: head.id, queue: 'js-deep', position: 0, payload: head.payload });
    assert.deepEqual(await store.admin().job(middle.id), { state: 'waiting', id: middle.id, queue: 'js-deep', position: 6_001, payload: middle.payload });
    const w = await worker(['js-deep-failed']);
    const failed = job('js-deep-failed');
    const raw = await failOne(store, w, 'js-deep-failed', failed.payload);
    const found = await store.admin().job(failed.id);
    assert.equal(found.state, 'failed', 'past 23k waiting entries');
    assert.equal(found.state === 'failed' && found.failure.raw, raw);
    assert.deepEqual(await store.admin().job('nowhere'), { state: 'unknown', id: 'nowhere' });
    // Step by step (the dashboard's way): several bounded steps, the same answers; a token the
    // store did not make starts over instead of failing.
    const stepwise = async (id: string, resume?: string) => {
      let steps = 0;
      for (let step = await store.admin().findJobStep(id, resume, 2_000); ; step = await store.admin().findJobStep(id, step.resume, 2_000)) {
        steps++;
        if (step.done) return { job: step.job, steps };
        assert.ok(step.scanned > 0 && step.scanned <= 4_000, `a step reads about its budget (${step.scanned})`);
      }
    };
    const deep = await stepwise(failed.id);
    assert.deepEqual(deep.job, found);
    assert.ok(deep.steps >= 5, `23k entries take several 2k steps (${deep.steps})`);
    assert.deepEqual((await stepwise(head.id, '["nonsense"')).job, await store.admin().job(head.id));
    assert.deepEqual((await stepwise('nowhere', 'failed:x')).job, { state: 'unknown', id: 'nowhere' });
  }, { timeoutMs: 60_000 });

  r.case('admin job(id): the id matches exactly, not as a substring of another id, an arg or a non-JSON payload', async ({ store, worker }) => {
    const tag = `dup${process.pid}${++serial}`;
    const w = await worker(['js-decoy']);
    // Each decoy contains the id's text, first in every list, so a substring match finds it first.
    const decoys = [`not json "id":"${tag}"`, job('js-decoy', `${tag}0`).payload, job('js-decoy', `x${tag}`, [tag, { id: tag }]).payload];
    await store.push(decoys.map((payload) => ({ queue: 'js-decoy', payload })));
    await store.schedule([{ queue: 'js-decoy', payload: job('js-decoy', tag.toUpperCase()).payload, runAt: Date.now() + 3_600_000 }]);
    await failOne(store, w, 'js-decoy-failed', job('js-decoy-failed', `${tag}-`).payload);
    assert.deepEqual(await store.admin().job(tag), { state: 'unknown', id: tag }, 'only decoys so far');
    const real = job('js-real', tag);
    await store.schedule([{ queue: 'js-real', payload: real.payload, runAt: Date.now() + 3_600_000 }]);
    const found = await store.admin().job(tag);
    assert.equal(found.state, 'scheduled');
    assert.equal(found.state === 'scheduled' && found.payload, real.payload);
    // LIKE wildcards in an id are plain characters.
    const wild = job('js-wild', 'a%b_c');
    await store.push([{ queue: 'js-wild', payload: wild.payload }]);
    assert.equal((await store.admin().job('a%b_c')).state, 'waiting');
    assert.equal((await store.admin().job('a%')).state, 'unknown');
    assert.equal((await store.admin().job('aXbYc')).state, 'unknown');
    // An id its JSON escapes (quotes, backslash, markup, direction overrides) is found all the same.
    const odd = `q"\\<x>\u202E'${tag}`;
    await store.push([{ queue: 'js-odd', payload: job('js-odd', odd).payload }]);
    assert.equal((await store.admin().job(odd)).state, 'waiting');
  });
}
