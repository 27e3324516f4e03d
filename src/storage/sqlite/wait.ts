// waitForWork for the SQLite store: sleep until the watched queues' version moves (new work
// committed by this or another process), a scheduled job falls due, the timeout passes, the
// signal aborts, or the store closes. Lifecycle: one Waiter registered with the WakeHub per
// call, removed when it resolves. Invariant: the hub watches for commits *before* the version
// is read, and the version is compared with the one the worker's last reserve saw, so work
// committed at any moment after that reserve ends the wait (no lost wake-up).

import type { WakeHub, Waiter } from './wake.ts';

/** setTimeout's limit; a longer delay would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

export interface WakeMark {
  /** Which queues the version was read for (a wait on other queues ignores the mark). */
  readonly key: string;
  readonly version: number;
}

export interface WaitSource {
  version(queues: readonly string[] | '*'): number;
  /** In how many ms (the store's clock) the earliest scheduled job not yet due falls due. */
  nextDueInMs(): number | undefined;
}

export function waitForWork(
  source: WaitSource, hub: WakeHub, mark: WakeMark | undefined,
  queues: readonly string[] | '*', timeoutMs: number, signal?: AbortSignal,
): Promise<void> {
  hub.watchForCommits();
  const now = Date.now();
  let baseline: number;
  let dueAt = now + Math.max(0, timeoutMs);
  try {
    baseline = source.version(queues);
    if (mark && mark.version !== baseline) return Promise.resolve();
    // A scheduled job falling due ends the wait so the caller can promote it on time; one
    // already past due does not (someone else's recover() will), or the caller would spin.
    dueAt = Math.min(dueAt, now + (source.nextDueInMs() ?? Infinity));
  } catch {
    // The store cannot be read now: let the caller's next call meet (and report) the error.
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout;
    const arm = (at: number) => {
      clearTimeout(timer);
      dueAt = at;
      timer = setTimeout(() => waiter.resolve(), Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    };
    const waiter: Waiter = {
      owner: source,
      resolve: () => {
        clearTimeout(timer);
        hub.remove(waiter);
        signal?.removeEventListener('abort', waiter.resolve);
        resolve();
      },
      check: () => {
        try {
          if (source.version(queues) !== baseline) return waiter.resolve();
          const nextIn = source.nextDueInMs();
          const next = nextIn === undefined ? undefined : Date.now() + nextIn;
          if (next !== undefined && next < dueAt) arm(next);
        } catch {
          waiter.resolve();
        }
      },
    };
    arm(dueAt);
    hub.add(waiter);
    signal?.addEventListener('abort', waiter.resolve, { once: true });
  });
}
