// The fetch loop's pause button: nap(ms) waits until the timeout or the next nudge(), whichever
// comes first. A finished job, resume(), stop() and pause-all changes nudge, so the loop reacts at
// once and never polls. Only one nap is pending at a time (the loop is one sequence).

export class Nudge {
  private wake: (() => void) | undefined;

  nap(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.wake = done;
    });
  }

  nudge(): void {
    this.wake?.();
  }
}
