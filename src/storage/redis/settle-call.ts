// The KEYS and ARGV of one settle.lua call, built from a batch of outcomes (the script's header
// says what each position means). Pure: the Redis store sends what this returns. Invariant: the
// counts in ARGV[1..3] and ARGV[6] match the runs that follow, in that order.

import { slotOf, tallyByClass } from '../job-metrics.ts';
import { countByQueue, minuteOf } from '../throughput.ts';
import { resqueIdOf } from '../identity.ts';
import type { Outcome } from '../types.ts';
import { RETRY_TAG, type RedisKeys } from './keys.ts';

export function settleCall(k: RedisKeys, workerId: string, outcomes: readonly Outcome[], startedUpTo: number, now = Date.now()): { keys: string[]; args: (string | number)[] } {
  const done: string[] = [];
  const failed: string[] = [];
  const retried: (string | number)[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === 'done') done.push(outcome.token);
    else if (outcome.kind === 'failed') failed.push(outcome.token, outcome.entry);
    // A delay, not a due time: settle.lua adds it to Redis's clock.
    // A retry's tag marks it (settle.lua counts it in keys.retrying); an unknown job put back is not one.
    else retried.push(outcome.token, Math.max(0, Math.floor(outcome.job.runAt - now)), `${outcome.deferred ? 'r' : RETRY_TAG}${outcome.token}\n${outcome.job.queue}\n${outcome.job.payload}`);
  }
  const resqueId = resqueIdOf(workerId);
  const minute = minuteOf(now);
  const keys = [k.inflight(workerId), k.processed, k.failedCount, `${k.processed}:${resqueId}`, `${k.failedCount}:${resqueId}`, k.failed, k.schedule, k.instance(workerId),
    k.metrics('m', slotOf('m', now)), k.metrics('t', slotOf('t', now)), k.retrying];
  const counts: number[] = [];
  for (const [queue, count] of countByQueue(outcomes)) {
    keys.push(`${k.donePrefix}${queue}:${minute}`);
    counts.push(count);
  }
  const cells: (string | number)[] = [];
  for (const [cell, count] of tallyByClass(outcomes)) cells.push(cell, count);
  const args = [done.length, failed.length / 2, retried.length / 3, k.wakeChannel, Math.floor(startedUpTo), cells.length / 2, ...counts, ...cells, ...done, ...failed, ...retried];
  return { keys, args };
}
