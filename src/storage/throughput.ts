// Recent throughput per queue, for `errand stats` and sizing a pool: every store counts the
// attempts it settles per queue and minute, and admin stats add up the last few minutes.
// Counting happens in the same settle call as the outcomes, so it costs no extra round trip.

import type { Outcome } from './types.ts';

/** Throughput is counted per queue and minute; stats report the last THROUGHPUT_MINUTES of them. */
export const THROUGHPUT_MINUTES = 5;

/** The minute bucket a time falls in. */
export function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / 60_000);
}

/** Settled attempts per queue, from outcomes that name their queue. */
export function countByQueue(outcomes: readonly Outcome[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) if (outcome.queue !== undefined) counts.set(outcome.queue, (counts.get(outcome.queue) ?? 0) + 1);
  return counts;
}
