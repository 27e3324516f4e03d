// First calls that cost a process up to a millisecond each whatever their arguments, made ahead
// of a worker's start() so that they do not sit between start() and its first job: node loads
// perf_hooks on the first use of the `performance` global (the executor times every job with
// it), seeds its random pool on the first randomBytes() (the registration's owner token), and V8
// sets up date formatting on the first toISOString() (the registration's Resque timestamps).
// errand.worker() calls it, beside preparing the lease thread. Invariant: no side effects
// beyond those process-wide first-use costs.

import { randomBytes } from 'node:crypto';
import { resqueIso, resqueTimeToS } from '../storage/resque-format.ts';

export function warmUpWorkerStart(): void {
  performance.now();
  randomBytes(1);
  const now = new Date();
  resqueIso(now);
  resqueTimeToS(now);
}
