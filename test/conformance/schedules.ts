// Conformance: recurring schedules' claims (Store.schedules()). A tick is claimed together with
// its enqueue, once across instances, by the store's clock; the cursor only grows; paused,
// missed and overlapping ticks are skipped. Tick times here come from the store's own clock
// (declare() returns it), as the scheduler's do.

import assert from 'node:assert/strict';
import { contents, drain, Registry } from './harness.ts';
import type { Store } from '../../src/storage/types.ts';
import type { TickClaim } from '../../src/storage/schedule-types.ts';

let serial = 0;
function tickClaim(name: string, tick: number, extra: Partial<TickClaim> = {}): TickClaim {
  const jobId = `sched-${++serial}`;
  const body = (caughtUp: boolean) => JSON.stringify({ class: 'Tick', args: [tick], id: jobId, queue: 'ticks', schedule: { name, tick, caught_up: caughtUp } });
  return { name, tick, onTimeMs: 1_000, catchUpMs: 0, skipIfRunning: false, queue: 'ticks', jobId, payload: body(false), caughtUpPayload: body(true), ...extra };
}

async function storeNow(store: Store, name = 'clock'): Promise<number> {
  return (await store.schedules().declare([{ name, definition: '{}' }])).storeNow;
}

export function scheduleCases(r: Registry): void {
  r.case('schedule claim: two instances claiming one due tick enqueue it once', async ({ store, another }) => {
    const other = await another();
    const now = await storeNow(store);
    const tick = now - 10;
    const results = await Promise.all([store, other, store, other].map((s) => s.schedules().claim(tickClaim('nightly', tick))));
    assert.deepEqual(results.map((x) => x.outcome).sort(), ['enqueued', 'taken', 'taken', 'taken']);
    assert.ok(results.every((x) => x.cursor === tick));
    const queued = await contents(store, 'ticks');
    assert.equal(queued.length, 1);
    assert.equal(JSON.parse(queued[0]!).schedule.caught_up, false);
  }, { needsAnother: true });

  r.case('schedule claim: a tick not yet due by the store clock is early and moves nothing', async ({ store }) => {
    const now = await storeNow(store);
    const early = await store.schedules().claim(tickClaim('soon', now + 60_000));
    assert.equal(early.outcome, 'early');
    assert.equal(early.cursor, undefined);
    assert.ok(early.storeNow >= now && early.storeNow < now + 60_000);
    assert.deepEqual(await contents(store, 'ticks'), []);
  });

  r.case('schedule claim: the cursor only grows, an older or equal tick is taken', async ({ store }) => {
    const now = await storeNow(store);
    const s = store.schedules();
    assert.equal((await s.claim(tickClaim('edited', now - 100))).outcome, 'enqueued');
    assert.equal((await s.claim(tickClaim('edited', now - 100))).outcome, 'taken');
    // An edited definition whose tick falls before the cursor does not fire it again.
    const older = await s.claim(tickClaim('edited', now - 5_000));
    assert.deepEqual([older.outcome, older.cursor], ['taken', now - 100]);
    assert.equal((await contents(store, 'ticks')).length, 1);
  });

  r.case('schedule claim: a late tick is missed without catch-up, caught up (marked) within it', async ({ store }) => {
    const now = await storeNow(store);
    const s = store.schedules();
    const missed = await s.claim(tickClaim('daily', now - 3_600_000));
    assert.deepEqual([missed.outcome, missed.cursor], ['missed', now - 3_600_000]);
    assert.deepEqual(await contents(store, 'ticks'), []);
    const caught = await s.claim(tickClaim('daily', now - 1_800_000, { catchUpMs: 3_600_000 }));
    assert.equal(caught.outcome, 'caught-up');
    const queued = await contents(store, 'ticks');
    assert.equal(queued.length, 1);
    assert.equal(JSON.parse(queued[0]!).schedule.caught_up, true);
    const [state] = (await s.list()).filter((x) => x.name === 'daily');
    assert.equal(state!.lastRunTick, now - 1_800_000);
    assert.equal(state!.lastOutcome, 'caught-up');
  });

  r.case('schedule pause: paused ticks are skipped (and consumed), resume fires the next one', async ({ store }) => {
    const now = await storeNow(store);
    const s = store.schedules();
    assert.equal(await s.setPaused('never-declared', true), false);
    await s.declare([{ name: 'hourly', definition: '{"cron":"0 * * * *"}' }]);
    assert.equal(await s.setPaused('hourly', true), true);
    assert.equal((await s.list()).find((x) => x.name === 'hourly')!.paused, true);
    const paused = await s.claim(tickClaim('hourly', now - 20));
    assert.deepEqual([paused.outcome, paused.cursor], ['paused', now - 20]);
    assert.deepEqual(await contents(store, 'ticks'), []);
    assert.equal(await s.setPaused('hourly', false), true);
    assert.equal((await s.claim(tickClaim('hourly', now - 20))).outcome, 'taken');
    assert.equal((await s.claim(tickClaim('hourly', now - 10))).outcome, 'enqueued');
    assert.equal((await contents(store, 'ticks')).length, 1);
  });

  r.case('schedule overlap: a tick is skipped while the last run waits or is in flight', async ({ store, worker }) => {
    const now = await storeNow(store);
    const s = store.schedules();
    const first = await s.claim(tickClaim('exclusive', now - 30, { skipIfRunning: true }));
    assert.equal(first.outcome, 'enqueued');
    assert.equal((await s.claim(tickClaim('exclusive', now - 20, { skipIfRunning: true }))).outcome, 'overlap');
    const w = await worker(['ticks']);
    const held = await drain(store, w, ['ticks']);
    assert.equal(held.length, 1);
    assert.equal((await s.claim(tickClaim('exclusive', now - 15, { skipIfRunning: true }))).outcome, 'overlap');
    // Without the option the same state does not block.
    assert.equal((await s.claim(tickClaim('exclusive', now - 12))).outcome, 'enqueued');
    await drain(store, w, ['ticks']).then((more) => store.settle(w, more.map((j) => ({ token: j.token, kind: 'done' as const }))));
    await store.settle(w, [{ token: held[0]!.token, kind: 'done' }]);
    assert.equal((await s.claim(tickClaim('exclusive', now - 10, { skipIfRunning: true }))).outcome, 'enqueued');
  });

  r.case('schedule declare and run now: created once, definition replaced, a run now is the last run', async ({ store }) => {
    const s = store.schedules();
    const first = await s.declare([{ name: 'report', definition: '{"cron":"0 3 * * *"}' }]);
    assert.equal(first.states[0]!.createdAt, first.storeNow);
    const second = await s.declare([{ name: 'report', definition: '{"cron":"0 4 * * *"}' }]);
    assert.equal(second.states[0]!.createdAt, first.storeNow);
    assert.equal(second.states[0]!.definition, '{"cron":"0 4 * * *"}');
    await s.runNow('report', 'ticks', '{"class":"Tick","args":[],"id":"manual-1"}', 'manual-1');
    assert.deepEqual(await contents(store, 'ticks'), ['{"class":"Tick","args":[],"id":"manual-1"}']);
    const [state] = await s.list();
    assert.deepEqual([state!.name, state!.lastJobId, state!.lastOutcome, state!.cursor], ['report', 'manual-1', 'run-now', undefined]);
  });
}
