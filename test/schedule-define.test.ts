// defineSchedule's checks and the tick arithmetic, DST included. Ticks are pure functions of the
// definition and a time, so a DST night is tested by asking for the ticks after a given instant
// (the injected clock), never by waiting.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, defineJob, defineSchedule, NotJsonSafeError } from '../src/index.ts';
import { onTimeMs } from '../src/scheduler/ticks.ts';
import { encodeScheduledRun, decodePayload } from '../src/job/payload.ts';

const report = defineJob({ name: 'DstReport', queue: 'dst', perform: async (_day: string) => {} });
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
function ticksAfter(cron: string, timezone: string, fromIso: string, count: number): (string | undefined)[] {
  const s = defineSchedule({ name: "dst", cron, timezone, job: report, args: ['x'] });
  const out: (string | undefined)[] = [];
  let at = Date.parse(fromIso);
  for (let i = 0; i < count; i++) out.push(iso((at = s.ticks.next(at)!)));
  return out;
}

test('DST spring forward: a wall time that does not exist fires at the end of the gap (Paris, New York)', () => {
  // Europe/Paris, 2025-03-30: 02:00 -> 03:00. 02:30 does not exist: it fires at 03:00 CEST (01:00Z).
  assert.deepEqual(ticksAfter('30 2 * * *', 'Europe/Paris', '2025-03-29T00:00:00Z', 3), ['2025-03-29T01:30:00.000Z', '2025-03-30T01:00:00.000Z', '2025-03-31T00:30:00.000Z']);
  // America/New_York, 2025-03-09: 02:00 -> 03:00. 02:30 fires at 03:00 EDT (07:00Z).
  assert.deepEqual(ticksAfter('30 2 * * *', 'America/New_York', '2025-03-08T00:00:00Z', 3), ['2025-03-08T07:30:00.000Z', '2025-03-09T07:00:00.000Z', '2025-03-10T06:30:00.000Z']);
});

test('DST fall back: an ambiguous wall time fires once, at its first occurrence (Paris, New York)', () => {
  // Europe/Paris, 2025-10-26: 02:30 happens at 00:30Z (CEST) and 01:30Z (CET): one run, at 00:30Z.
  assert.deepEqual(ticksAfter('30 2 * * *', 'Europe/Paris', '2025-10-25T12:00:00Z', 2), ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
  // America/New_York, 2025-11-02: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST): one run.
  assert.deepEqual(ticksAfter('30 1 * * *', 'America/New_York', '2025-11-01T12:00:00Z', 2), ['2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z']);
  // An hourly cron keeps one run per real hour through the repeated hour.
  assert.deepEqual(ticksAfter('0 * * * *', 'America/New_York', '2025-11-02T04:30:00Z', 3), ['2025-11-02T05:00:00.000Z', '2025-11-02T06:00:00.000Z', '2025-11-02T07:00:00.000Z']);
});

test('every: ticks are multiples of the interval since the epoch; on-time window is min(interval, 60 s)', () => {
  const s = defineSchedule({ name: 'quarter', every: '15m', job: report, args: ['q'] });
  assert.equal(s.ticks.next(Date.parse('2025-01-01T10:07:00Z')), Date.parse('2025-01-01T10:15:00Z'));
  assert.equal(s.ticks.next(Date.parse('2025-01-01T10:15:00Z')), Date.parse('2025-01-01T10:30:00Z'));
  assert.equal(onTimeMs(s.ticks, Date.parse('2025-01-01T10:15:00Z')), 60_000);
  const fast = defineSchedule({ name: 'fast', cron: '*/2 * * * * *', job: report, args: ['f'] });
  assert.equal(onTimeMs(fast.ticks, 10_000), 2_000);
});

test('bad schedules fail at definition with a clear error', () => {
  const bad = (options: Record<string, unknown>, message: RegExp, kind: new (...a: never[]) => Error = ConfigError) =>
    assert.throws(() => defineSchedule({ name: 'bad', job: report, args: ['x'], ...options } as never), (e: unknown) => e instanceof kind && message.test((e as Error).message));
  bad({ cron: 'every day' }, /schedule bad: "every day" is not a valid cron/);
  bad({ cron: '0 3 * * *', timezone: 'Mars/Base' }, /in Mars\/Base is not a valid cron/);
  bad({}, /needs exactly one of cron and every/);
  bad({ cron: '* * * * *', every: '1m' }, /needs exactly one of cron and every/);
  bad({ every: '10ms' }, /every must be at least 1s/);
  bad({ every: 'soon' }, /is not a duration/);
  bad({ every: '1m', timezone: 'UTC' }, /timezone applies to cron/);
  bad({ cron: '* * * * *', catchUp: 'later' }, /catchUp "later" is not a duration/);
  bad({ cron: '* * * * *', args: [() => 1] }, /args\[0\] is a function/, NotJsonSafeError);
  bad({ cron: '* * * * *', args: 'x' }, /args must be an array/);
  bad({ cron: '* * * * *', name: 'has space' }, /schedule name "has space" is not valid/);
  bad({ cron: '* * * * *', overlap: 'no' }, /overlap must be true or false/);
});

test('a scheduled run payload carries { name, tick, caught_up } and decodes to it', () => {
  const payload = encodeScheduledRun('DstReport', '["x"]', 'id-1', 'dst', 5, { name: 'nightly', tick: 1_700_000_000_000, caughtUp: true });
  assert.equal(payload, '{"class":"DstReport","args":["x"],"id":"id-1","queue":"dst","enqueued_at":5,"attempt":1,"schedule":{"name":"nightly","tick":1700000000000,"caught_up":true}}');
  assert.deepEqual(decodePayload(payload).schedule, { name: 'nightly', tick: 1_700_000_000_000, caughtUp: true });
});

// Type checks: args are typed against perform (checked by `npm run typecheck`).
// @ts-expect-error a number is not the string perform takes
defineSchedule({ name: 'typed', cron: '* * * * *', job: report, args: [42] });
