// The one hook through which something outside the worker (metrics: src/metrics/recorder.ts)
// learns what a worker does, beyond its public events: every finished attempt with what the
// executor found out, and every recovery pass that handed back a dead worker's jobs. A worker
// without an observer pays one property check per job. An observer must be cheap and must not
// throw (the worker calls it inline, on the hot path).

import type { RecoverResult, ReservedJob } from '../storage/types.ts';
import type { Execution } from './executor.ts';
import type { Worker } from './worker.ts';

export interface WorkerObserver {
  /** An attempt ended (its outcome is about to be settled); `startedAt` is epoch ms. */
  executed(job: ReservedJob, execution: Execution, startedAt: number): void;
  /** A maintenance pass of this worker ran recover(). */
  recovered(result: RecoverResult): void;
  /** The worker stopped: it runs and holds nothing any more. */
  stopped(worker: Worker): void;
}
