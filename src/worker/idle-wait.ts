// An idle worker's wait for work. It ends on a wake-up announcement (the store's waitForWork),
// when the heartbeat saw jobs nobody announced (interrupt(): pushed by Ruby Resque, say), on
// stop, or at its timeout. Because the heartbeat does the looking at every idle beat, the
// timeout is a poll only when the configured poll interval is shorter than that beat.

/** The wait's upper bound when the heartbeat does the looking: a net under the net, not a poll. */
const WAIT_LIMIT_MS = 60_000;

export function idleWaitTimeoutMs(pollMs: number, idleBeatMs: number): number {
  return pollMs < idleBeatMs ? pollMs : WAIT_LIMIT_MS;
}

export class IdleWait {
  private current: AbortController | undefined;

  constructor(private readonly stopSignal: AbortSignal) {}

  /** Runs `wait` with a signal that aborts on interrupt() or on stop. */
  async wait(wait: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const abort = (this.current = new AbortController());
    const onStop = () => abort.abort();
    this.stopSignal.addEventListener('abort', onStop, { once: true });
    if (this.stopSignal.aborted) abort.abort();
    try {
      await wait(abort.signal);
    } finally {
      if (this.current === abort) this.current = undefined;
      this.stopSignal.removeEventListener('abort', onStop);
    }
  }

  /** Ends the current wait, if any. */
  interrupt(): void {
    this.current?.abort();
  }
}
