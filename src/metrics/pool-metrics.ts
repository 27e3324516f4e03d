// The supervisor's side of metrics: each worker process sends its recorder's snapshot in its
// heartbeat (every second, over the existing IPC channel), and the pool reports their sum, so a
// scrape of the supervisor's --health-port sees one coherent set, as if the pool were one
// process. A child that exits leaves its last counters in the sum (counters never go down while
// the supervisor lives); its busy slots leave with it. What a child counted after its last
// heartbeat is lost if it is killed (at most a second); a graceful stop sends a final one.

import { emptySnapshot, mergeSnapshots, type MetricsSnapshot } from './snapshot.ts';

export class PoolMetrics {
  private readonly live = new Map<number, MetricsSnapshot>();
  private past: MetricsSnapshot = emptySnapshot();
  private readonly exited = new Set<number>();

  /** A child's heartbeat carried its snapshot (keyed by pid). */
  reported(pid: number, snapshot: MetricsSnapshot): void {
    if (!this.exited.has(pid)) this.live.set(pid, snapshot);
  }

  /** The child is gone: its counters stay in the sum, its slots do not. */
  exitedChild(pid: number): void {
    const last = this.live.get(pid);
    this.live.delete(pid);
    this.exited.add(pid);
    if (this.exited.size > 10_000) this.exited.clear(); // pids are reused; this only guards late heartbeats
    if (last) this.past = mergeSnapshots([this.past, { ...last, slots: { workers: 0, total: 0, busy: 0 } }]);
  }

  snapshot(): MetricsSnapshot {
    return mergeSnapshots([this.past, ...this.live.values()]);
  }
}
