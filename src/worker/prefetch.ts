// How many jobs a worker holds beyond the ones it runs. Fast jobs want a deep buffer (one round
// trip feeds thousands of jobs); slow jobs want almost none (a job held by a busy worker waits
// while another worker idles). The buffer is sized to about PREFETCH_WINDOW_MS of work at the
// observed average duration, between 1 and maxPrefetch.

const PREFETCH_WINDOW_MS = 20;
const SMOOTHING = 0.05;

export class Prefetch {
  private averageMs: number | undefined;

  constructor(private readonly concurrency: number, private readonly max: number) {}

  observe(durationMs: number): void {
    this.averageMs = this.averageMs === undefined ? durationMs : this.averageMs + SMOOTHING * (durationMs - this.averageMs);
  }

  extra(): number {
    if (this.averageMs === undefined) return this.concurrency;
    const wanted = Math.ceil((this.concurrency * PREFETCH_WINDOW_MS) / Math.max(this.averageMs, 0.001));
    return Math.min(this.max, Math.max(1, wanted));
  }
}
