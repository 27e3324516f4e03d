// DST for crons whose hour field is a list, a range or a step: the same rule as a fixed hour
// (a missing spring time moves to the end of the gap, an ambiguous autumn time fires once, at
// its first occurrence), while an hour field matching every hour fires in each real hour. The
// clock is injected: ticks are asked for after a given instant, nothing waits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineJob, defineSchedule } from '../src/index.ts';

const report = defineJob({ name: 'DstListReport', queue: 'dst', perform: async (_day: string) => {} });
function ticksAfter(cron: string, timezone: string, fromIso: string, count: number): string[] {
  const s = defineSchedule({ name: 'dst-list', cron, timezone, job: report, args: ['x'] });
  const out: string[] = [];
  let at = Date.parse(fromIso);
  for (let i = 0; i < count; i++) out.push(new Date((at = s.ticks.next(at)!)).toISOString());
  return out;
}

test('DST fall back, list/range/step hours: the repeated wall time fires once, at its first occurrence', () => {
  // America/New_York, 2025-11-02: 01:30 is 05:30Z (EDT) and 06:30Z (EST).
  assert.deepEqual(ticksAfter('30 1,13 * * *', 'America/New_York', '2025-11-01T12:00:00Z', 4),
    ['2025-11-01T17:30:00.000Z', '2025-11-02T05:30:00.000Z', '2025-11-02T18:30:00.000Z', '2025-11-03T06:30:00.000Z']);
  assert.deepEqual(ticksAfter('30 1-2 * * *', 'America/New_York', '2025-11-01T12:00:00Z', 3),
    ['2025-11-02T05:30:00.000Z', '2025-11-02T07:30:00.000Z', '2025-11-03T06:30:00.000Z']);
  // Several matches inside the repeated hour: each once.
  assert.deepEqual(ticksAfter('*/20 1 * * *', 'America/New_York', '2025-11-01T20:00:00Z', 4),
    ['2025-11-02T05:00:00.000Z', '2025-11-02T05:20:00.000Z', '2025-11-02T05:40:00.000Z', '2025-11-03T06:00:00.000Z']);
  // Asked from inside the second 01:xx (a process starting then): the repeat does not fire.
  assert.deepEqual(ticksAfter('15,45 1 * * *', 'America/New_York', '2025-11-02T06:20:00Z', 1), ['2025-11-03T06:15:00.000Z']);
  // Europe/Paris, 2025-10-26: 02:30 is 00:30Z (CEST) and 01:30Z (CET).
  assert.deepEqual(ticksAfter('30 */2 * * *', 'Europe/Paris', '2025-10-25T20:00:00Z', 4),
    ['2025-10-25T20:30:00.000Z', '2025-10-25T22:30:00.000Z', '2025-10-26T00:30:00.000Z', '2025-10-26T03:30:00.000Z']);
  assert.deepEqual(ticksAfter('30 2,14 * * *', 'Europe/Paris', '2025-10-25T12:00:00Z', 3),
    ['2025-10-25T12:30:00.000Z', '2025-10-26T00:30:00.000Z', '2025-10-26T13:30:00.000Z']);
});

test('DST spring forward, list/range/step hours: the missing wall time fires at the end of the gap', () => {
  // America/New_York, 2025-03-09: 02:00 EST -> 03:00 EDT at 07:00Z.
  assert.deepEqual(ticksAfter('30 2,14 * * *', 'America/New_York', '2025-03-08T12:00:00Z', 4),
    ['2025-03-08T19:30:00.000Z', '2025-03-09T07:00:00.000Z', '2025-03-09T18:30:00.000Z', '2025-03-10T06:30:00.000Z']);
  // 02:00, 02:20 and 02:40 are all missing: one run, at 03:00 EDT.
  assert.deepEqual(ticksAfter('*/20 2 * * *', 'America/New_York', '2025-03-08T20:00:00Z', 2), ['2025-03-09T07:00:00.000Z', '2025-03-10T06:00:00.000Z']);
  // 02:30 moved to 03:00, and 03:00 itself matches too: one run at that instant, then 04:00.
  assert.deepEqual(ticksAfter('0,30 2-4 * * *', 'America/New_York', '2025-03-09T06:00:00Z', 4),
    ['2025-03-09T07:00:00.000Z', '2025-03-09T07:30:00.000Z', '2025-03-09T08:00:00.000Z', '2025-03-09T08:30:00.000Z']);
  // Europe/Paris, 2025-03-30: 02:00 CET -> 03:00 CEST at 01:00Z.
  assert.deepEqual(ticksAfter('30 2,14 * * *', 'Europe/Paris', '2025-03-29T12:00:00Z', 3),
    ['2025-03-29T13:30:00.000Z', '2025-03-30T01:00:00.000Z', '2025-03-30T12:30:00.000Z']);
  assert.deepEqual(ticksAfter('30 */2 * * *', 'Europe/Paris', '2025-03-29T22:00:00Z', 3),
    ['2025-03-29T23:30:00.000Z', '2025-03-30T01:00:00.000Z', '2025-03-30T02:30:00.000Z']);
});

test('DST, hour field matching every hour: one run in each real hour, both transitions', () => {
  // New York fall back: 01:30 EDT and 01:30 EST are an hour apart, both fire.
  assert.deepEqual(ticksAfter('30 * * * *', 'America/New_York', '2025-11-02T05:00:00Z', 3),
    ['2025-11-02T05:30:00.000Z', '2025-11-02T06:30:00.000Z', '2025-11-02T07:30:00.000Z']);
  assert.deepEqual(ticksAfter('30 0-23 * * *', 'Europe/Paris', '2025-10-26T00:00:00Z', 3),
    ['2025-10-26T00:30:00.000Z', '2025-10-26T01:30:00.000Z', '2025-10-26T02:30:00.000Z']);
  // Paris spring forward: no 02:30; 01:30 CET and 03:30 CEST are consecutive real hours.
  assert.deepEqual(ticksAfter('30 * * * *', 'Europe/Paris', '2025-03-30T00:00:00Z', 2), ['2025-03-30T00:30:00.000Z', '2025-03-30T01:30:00.000Z']);
});
