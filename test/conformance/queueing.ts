// Conformance: push, reserve (order, priority, '*', max, pause), opaque payloads, concurrent
// reservers, and wake-ups (waitForWork).

import assert from 'node:assert/strict';
import { contents, drain, knownPaused, payload, payloads, pushAll, Registry, settlesWithin, sleep } from './harness.ts';

const LONG_WAIT_MS = 10_000;
/** "Promptly": well before LONG_WAIT_MS, however slow the machine. */
const PROMPT_MS = 6_000;
/** How long a waiter with nothing to wait for must stay asleep: a busy-polling one returns far sooner. */
const QUIET_MS = 400;

export function queueingCases(r: Registry): void {
  r.case('push keeps FIFO order across calls and within a bulk push', async ({ store, worker }) => {
    const first = payloads('q', 3, 'a');
    const second = payloads('q', 2, 'b');
    await pushAll(store, 'q', first);
    await pushAll(store, 'q', second);
    const w = await worker(['q']);
    const got = await store.reserve(w, ['q'], 10);
    assert.deepEqual(got.map((j) => j.payload), [...first, ...second]);
    assert.ok(got.every((j) => j.queue === 'q'));
    assert.equal(new Set(got.map((j) => j.token)).size, got.length, 'tokens are distinct');
  });

  r.case('bulk push of many jobs to several queues keeps each queue in order', async ({ store, worker }) => {
    const a = payloads('a', 9_000, 'a');
    const b = payloads('b', 1_500, 'b');
    const mixed = [];
    for (let i = 0; i < a.length; i++) {
      mixed.push({ queue: 'a', payload: a[i]! });
      if (i < b.length) mixed.push({ queue: 'b', payload: b[i]! });
    }
    await store.push(mixed);
    assert.deepEqual(await contents(store, 'a'), a);
    assert.deepEqual(await contents(store, 'b'), b);
    const w = await worker(['a', 'b']);
    const got = await drain(store, w, ['b', 'a'], 1_000);
    assert.deepEqual(got.map((j) => j.payload), [...b, ...a]);
  }, { timeoutMs: 60_000 });

  r.case('push of nothing is a no-op', async ({ store }) => {
    await store.push([]);
    await store.schedule([]);
    assert.deepEqual(await store.admin().queues(), []);
  });

  r.case('reserve drains queues in strict priority order', async ({ store, worker }) => {
    const high = payloads('high', 2, 'h');
    const mid = payloads('mid', 2, 'm');
    const low = payloads('low', 2, 'l');
    await pushAll(store, 'low', low);
    await pushAll(store, 'mid', mid);
    await pushAll(store, 'high', high);
    const w = await worker(['high', 'mid', 'low']);
    const first = await store.reserve(w, ['high', 'mid', 'low'], 3);
    assert.deepEqual(first.map((j) => j.payload), [high[0], high[1], mid[0]]);
    assert.deepEqual(first.map((j) => j.queue), ['high', 'high', 'mid']);
    const second = await store.reserve(w, ['low', 'high', 'mid'], 10);
    assert.deepEqual(second.map((j) => j.payload), [low[0], low[1], mid[1]]);
    assert.deepEqual(second.map((j) => j.queue), ['low', 'low', 'mid']);
    assert.equal(new Set([...first, ...second].map((j) => j.token)).size, 6, 'tokens are distinct across reserves');
  });

  r.case("reserve '*' takes every queue, alphabetically", async ({ store, worker }) => {
    const b = payloads('beta', 2, 'b');
    const a = payloads('alpha', 2, 'a');
    const c = payloads('gamma', 1, 'c');
    await pushAll(store, 'gamma', c);
    await pushAll(store, 'beta', b);
    await pushAll(store, 'alpha', a);
    const w = await worker(['*']);
    const got = await store.reserve(w, '*', 3);
    assert.deepEqual(got.map((j) => j.payload), [a[0], a[1], b[0]]);
    const rest = await store.reserve(w, '*', 10);
    assert.deepEqual(rest.map((j) => j.payload), [b[1], c[0]]);
    assert.deepEqual(rest.map((j) => j.queue), ['beta', 'gamma']);
  });

  r.case('reserve respects max and leaves the rest queued', async ({ store, worker }) => {
    const jobs = payloads('q', 5);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q']);
    const got = await store.reserve(w, ['q'], 2);
    assert.deepEqual(got.map((j) => j.payload), jobs.slice(0, 2));
    assert.deepEqual(await contents(store, 'q'), jobs.slice(2));
    const one = await store.reserve(w, ['q'], 1);
    assert.deepEqual(one.map((j) => j.payload), [jobs[2]]);
  });

  r.case('reserve from empty or unknown queues gives []', async ({ store, worker }) => {
    const w = await worker(['q']);
    assert.deepEqual(await store.reserve(w, ['q', 'never-seen'], 10), []);
    assert.deepEqual(await store.reserve(w, '*', 10), []);
    await pushAll(store, 'q', payloads('q', 1));
    await drain(store, w, ['q']);
    assert.deepEqual(await store.reserve(w, ['q'], 10), [], 'a drained queue gives []');
    assert.deepEqual(await store.reserve(w, '*', 10), [], "'*' over drained queues gives []");
  });

  r.case('pause-all stops reserve and is reported by heartbeat', async ({ store, worker }) => {
    const jobs = payloads('q', 2);
    await pushAll(store, 'q', jobs);
    const w = await worker(['q']);
    await store.admin().setPaused(true);
    assert.deepEqual(await store.reserve(w, ['q'], 10), []);
    assert.deepEqual(await store.reserve(w, '*', 10), []);
    assert.deepEqual(knownPaused(await store.heartbeat(w, { workingOn: null })), { known: true, paused: true });
    assert.equal((await store.admin().stats()).paused, true);
    assert.deepEqual(await contents(store, 'q'), jobs, 'paused reserve takes nothing');
    await store.admin().setPaused(false);
    assert.deepEqual(knownPaused(await store.heartbeat(w, { workingOn: null })), { known: true, paused: false });
    assert.equal((await store.admin().stats()).paused, false);
    assert.deepEqual((await store.reserve(w, ['q'], 10)).map((j) => j.payload), jobs);
  });

  // Catches: a reserve (named or '*') or a heartbeat that ignores the per-queue pause, a pause
  // that leaks to other queues, a resume that does not wake an idle waiter from another instance.
  r.case('a paused queue is skipped by reserve and heartbeat; resume wakes a waiter', async ({ store, another, worker }) => {
    const held = payloads('held', 3);
    const other = payloads('other', 2);
    await pushAll(store, 'held', held);
    await pushAll(store, 'other', other);
    const admin = store.admin();
    await admin.setQueuePaused('held', true);
    assert.deepEqual(await admin.pausedQueues(), ['held']);
    assert.deepEqual((await admin.stats()).queues.map((q) => [q.name, q.paused]), [['held', true], ['other', false]]);
    const w = await worker(['held', 'other']);
    assert.deepEqual((await store.reserve(w, ['held', 'other'], 10)).map((j) => j.payload), other, 'only the queue not paused');
    assert.deepEqual(await store.reserve(w, '*', 10), [], "'*' skips the paused queue too");
    assert.equal((await store.heartbeat(w, { workingOn: null }, { queues: ['held'] })).workWaiting, false, "a paused queue's jobs are nobody's work");
    assert.equal((await store.heartbeat(w, { workingOn: null }, { queues: '*' })).workWaiting, false);
    assert.deepEqual(await contents(store, 'held'), held, 'its jobs stay where they are, in order');
    const waiting = await worker(['held']);
    assert.deepEqual(await store.reserve(waiting, ['held'], 10), []);
    const wait = store.waitForWork(waiting, ['held'], LONG_WAIT_MS);
    assert.equal(await settlesWithin(wait, QUIET_MS), false, 'a waiter on a paused queue with jobs sleeps');
    await (await another()).admin().setQueuePaused('held', false);
    assert.ok(await settlesWithin(wait, PROMPT_MS), `resume did not wake the waiter within ${PROMPT_MS} ms`);
    assert.deepEqual(await admin.pausedQueues(), []);
    assert.deepEqual((await store.reserve(w, ['held'], 10)).map((j) => j.payload), held);
  }, { needsAnother: true });

  r.case('payloads are opaque: not-JSON, newlines, unicode and empty strings come back byte for byte', async ({ store, worker }) => {
    const odd = [
      'this is not JSON {',
      '{"class":"Half"',
      'line one\nline two\r\n\tqueue:q',
      '{"class":"Ünïcødé","args":["☃","𝄞","\\u0000"]}',
      '  {"spaces":true}  ',
      '',
      '\n',
    ];
    await pushAll(store, 'q', odd);
    const w = await worker(['q']);
    const got = await store.reserve(w, ['q'], 100);
    assert.deepEqual(got.map((j) => j.payload), odd);
    // And back again through release and reserve.
    assert.equal(await store.release(w, got.map((j) => j.token)), odd.length);
    assert.deepEqual(await contents(store, 'q'), odd);
    assert.deepEqual((await store.reserve(w, ['q'], 100)).map((j) => j.payload), odd);
  });

  r.case('concurrent reservers on separate instances get every job exactly once', async ({ another, worker }) => {
    const stores = await Promise.all([another(), another(), another(), another()]);
    const jobs = payloads('shared', 2_000);
    await pushAll(stores[0]!, 'shared', jobs);
    const results = await Promise.all(stores.map(async (store) => {
      const w = await worker(['shared'], store);
      const got: string[] = [];
      for (;;) {
        const batch = await store.reserve(w, ['shared'], 7);
        if (batch.length === 0) return got;
        got.push(...batch.map((j) => j.payload));
      }
    }));
    const all = results.flat();
    assert.equal(all.length, jobs.length, 'no job reserved twice, none missed');
    assert.equal(new Set(all).size, jobs.length);
    assert.deepEqual([...all].sort(), [...jobs].sort());
    for (const got of results) {
      // Each reserver saw its jobs in queue order.
      const positions = got.map((p) => jobs.indexOf(p));
      assert.deepEqual(positions, [...positions].sort((x, y) => x - y));
    }
  }, { needsAnother: true, timeoutMs: 60_000 });

  r.case('waitForWork returns promptly after a push from another instance', async ({ store, another, worker }) => {
    const producer = await another();
    const w = await worker(['q']);
    assert.deepEqual(await store.reserve(w, ['q'], 10), []);
    const wait = store.waitForWork(w, ['q'], LONG_WAIT_MS);
    await sleep(50);
    await producer.push([{ queue: 'q', payload: payload('q', 'wake') }]);
    assert.ok(await settlesWithin(wait, PROMPT_MS), `waitForWork did not return within ${PROMPT_MS} ms of a push`);
    assert.equal((await store.reserve(w, ['q'], 10)).length, 1);
  }, { needsAnother: true });

  r.case('waitForWork returns promptly after a bulk push, to an empty queue and to one drained since', async ({ store, another, worker }) => {
    const producer = await another();
    const w = await worker(['q']);
    for (const round of ['first', 'second']) {
      assert.deepEqual(await store.reserve(w, ['q'], 10), []);
      const wait = store.waitForWork(w, ['q'], LONG_WAIT_MS);
      await sleep(50);
      await producer.push(['a', 'b', 'c'].map((n) => ({ queue: 'q', payload: payload('q', `${round}-${n}`) })));
      assert.ok(await settlesWithin(wait, PROMPT_MS), `waitForWork did not return within ${PROMPT_MS} ms of the ${round} bulk push`);
      assert.equal((await store.reserve(w, ['q'], 10)).length, 3);
    }
  }, { needsAnother: true });

  r.case('waitForWork does not miss a push made between an empty reserve and the wait', async ({ store, another, worker }) => {
    const producer = await another();
    const w = await worker(['q']);
    // A second waiter on this instance, already waiting: when it returns, the announcement of
    // the push has reached this instance, before `w` waits.
    const witness = await worker(['q']);
    assert.deepEqual(await store.reserve(witness, ['q'], 10), []);
    const witnessed = store.waitForWork(witness, ['q'], LONG_WAIT_MS);
    assert.deepEqual(await store.reserve(w, ['q'], 10), []);
    await producer.push([{ queue: 'q', payload: payload('q', 'early') }]);
    assert.ok(await settlesWithin(witnessed, PROMPT_MS), 'the announcement of the push never reached this instance');
    const wait = store.waitForWork(w, ['q'], LONG_WAIT_MS);
    assert.ok(await settlesWithin(wait, PROMPT_MS), 'a push made before waitForWork was called was missed');
    assert.equal((await store.reserve(w, ['q'], 10)).length, 1);
  }, { needsAnother: true });

  r.case("waitForWork on '*' wakes for a push to a queue it has never seen", async ({ store, another, worker }) => {
    const producer = await another();
    const w = await worker(['*']);
    assert.deepEqual(await store.reserve(w, '*', 10), []);
    const wait = store.waitForWork(w, '*', LONG_WAIT_MS);
    await sleep(50);
    await producer.push([{ queue: 'brand-new', payload: payload('brand-new', 'x') }]);
    assert.ok(await settlesWithin(wait, PROMPT_MS), "waitForWork('*') missed a push to a new queue");
    assert.equal((await store.reserve(w, '*', 10)).length, 1);
  }, { needsAnother: true });

  r.case('waitForWork waits while nothing is pushed (a waiter that returns at once would busy-poll)', async ({ store, worker }) => {
    const w = await worker(['q']);
    assert.deepEqual(await store.reserve(w, ['q'], 10), []);
    const controller = new AbortController();
    const wait = store.waitForWork(w, ['q'], LONG_WAIT_MS, controller.signal);
    assert.equal(await settlesWithin(wait, QUIET_MS), false, `waitForWork returned within ${QUIET_MS} ms with nothing pushed`);
    controller.abort();
    await wait;
  });

  r.case('waitForWork on [q] is not woken by a push to another queue', async ({ store, another, worker }) => {
    const producer = await another();
    const w = await worker(['q']);
    const witness = await worker(['other']);
    for (const [id, queue] of [[w, 'q'], [witness, 'other']] as const) assert.deepEqual(await store.reserve(id, [queue], 10), []);
    let woke = false;
    const wait = store.waitForWork(w, ['q'], LONG_WAIT_MS).then(() => { woke = true; });
    const witnessed = store.waitForWork(witness, ['other'], LONG_WAIT_MS);
    await producer.push([{ queue: 'other', payload: payload('other', 'elsewhere') }]);
    // The waiter on 'other' returning shows the push was announced and seen here; waiters are
    // checked together, so a wake-up of the one on 'q' would have settled by the next turn.
    assert.ok(await settlesWithin(witnessed, PROMPT_MS), 'the waiter on the pushed queue was not woken');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woke, false, 'a push to another queue woke the waiter on q');
    await producer.push([{ queue: 'q', payload: payload('q', 'mine') }]);
    assert.ok(await settlesWithin(wait, PROMPT_MS), 'a push to q did not wake its waiter');
  }, { needsAnother: true });

  r.case('waitForWork returns at once when its signal is aborted', async ({ store, worker }) => {
    const w = await worker(['q']);
    assert.deepEqual(await store.reserve(w, ['q'], 10), []);
    const controller = new AbortController();
    const wait = store.waitForWork(w, ['q'], LONG_WAIT_MS, controller.signal);
    controller.abort();
    assert.ok(await settlesWithin(wait, PROMPT_MS), 'abort did not end waitForWork');
  });
}
