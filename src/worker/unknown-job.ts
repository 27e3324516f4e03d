// What a worker does with a payload naming a job it does not know. During a rolling deploy new
// code enqueues jobs that the old workers still running cannot run; failing those at once would
// put work in the failed list that a worker deployed a minute later runs fine. So the job goes
// back to the scheduled set with a growing delay (defaults.unknownJob: 5 s doubling up to 5 min,
// about 1 h in all), then fails with UnknownJobError. Pure: it returns the outcome, and the
// payload keeps its `attempt` (the job's own retries are not spent; none of its code ran).

import { defaults } from '../defaults.ts';
import { UnknownJobError } from '../errors.ts';
import { encodeUnknownDeferral, type DecodedJob } from '../job/payload.ts';

export type UnknownJobDecision =
  | { readonly kind: 'defer'; readonly payload: string; readonly runAt: number; readonly delayMs: number }
  | { readonly kind: 'fail'; readonly error: UnknownJobError };

export interface UnknownJobPolicy {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
  readonly windowMs: number;
}

export function unknownJobDecision(
  job: DecodedJob, known: readonly string[], now = Date.now(), random: () => number = Math.random,
  policy: UnknownJobPolicy = defaults.unknownJob,
): UnknownJobDecision {
  // A timestamp from the future (another machine's clock) counts as first seen now.
  const since = job.unknownSince === undefined || job.unknownSince > now ? now : job.unknownSince;
  if (now - since >= policy.windowMs) return { kind: 'fail', error: new UnknownJobError(job.name, known, now - since) };
  const growth = Math.min(policy.firstDelayMs * 2 ** Math.min(job.unknownDeferrals, 30), policy.maxDelayMs);
  const delayMs = Math.max(0, Math.round(growth * (1 + policy.jitter * (2 * random() - 1))));
  return { kind: 'defer', payload: encodeUnknownDeferral(job, since, job.unknownDeferrals + 1), runAt: now + delayMs, delayMs };
}
