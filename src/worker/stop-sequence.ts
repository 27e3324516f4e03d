// A worker's graceful stop, after Worker.stop() set 'stopping' and aborted its waits: put back
// what it holds but has not started, let the fetch loop end, wait for running jobs until the
// deadline, then abort their signals and put the unfinished back, flush the settles, stop the
// lease thread and unregister. Lifecycle: runs once per worker. Invariants: a job put back is
// marked released first, so its late outcome is never settled; the lease thread stops before
// unregistering, so no heartbeat comes after it; every step that can fail is logged and the
// sequence goes on (recovery reclaims whatever was not put back).

import type { Logger } from '../log.ts';
import type { Store } from '../storage/types.ts';
import type { Nudge } from './nudge.ts';
import type { Settler } from './settler.ts';
import type { Slots } from './slots.ts';
import type { Upkeep } from './upkeep.ts';

export interface StopSequenceDeps {
  store: Pick<Store, 'release' | 'unregister'>;
  log: Logger;
  /** The worker's instance id now. */
  workerId(): string;
  slots: Pick<Slots, 'busy' | 'takeUnstarted' | 'abandon'>;
  /** Nudged whenever a job finishes: the wait for running jobs naps on it. */
  nudge: Nudge;
  /** The fetch loop's promise (undefined if it never started). */
  fetchLoopDone(): Promise<void> | undefined;
  /** The signal every running job got (ExecutorDeps.stopSignal). */
  abortJobs: AbortController;
  settler: Pick<Settler, 'flush' | 'stop'>;
  upkeep: Pick<Upkeep, 'stop'>;
  /** It had started: unregister and run the workerStop hook (which must not reject) at the end. */
  registered: boolean;
  workerStop(): Promise<void>;
}

export async function stopSequence(deps: StopSequenceDeps, timeoutMs: number): Promise<void> {
  const { store, log, slots } = deps;
  const unstarted = slots.takeUnstarted();
  if (unstarted.length > 0) await store.release(deps.workerId(), unstarted).catch((error) => log.error({ err: error }, 'could not put back unstarted jobs; recovery will'));
  await deps.fetchLoopDone();
  if (slots.busy > 0) {
    log.info({ running: slots.busy, timeoutMs }, 'stopping: waiting for running jobs');
    await allFinished(slots, deps.nudge, timeoutMs);
  }
  if (slots.busy > 0) {
    const abandoned = slots.abandon();
    deps.abortJobs.abort(new Error('worker is shutting down'));
    const tokens = abandoned.map((running) => running.job.token);
    const released = await store.release(deps.workerId(), tokens).catch(() => 0);
    log.warn({ released }, 'shutdown deadline reached: unfinished jobs put back on their queues');
  }
  await Promise.race([deps.settler.flush(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  deps.settler.stop();
  // The lease thread stops before unregistering, so no heartbeat comes after it.
  await deps.upkeep.stop();
  if (deps.registered) {
    await store.unregister(deps.workerId()).catch((error) => log.error({ err: error }, 'could not unregister; recovery will reclaim held jobs'));
    await deps.workerStop();
  }
}

async function allFinished(slots: Pick<Slots, 'busy'>, nudge: Nudge, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (slots.busy > 0 && Date.now() < deadline) await nudge.nap(Math.min(deadline - Date.now(), 1_000));
}
