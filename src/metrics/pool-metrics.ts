// The supervisor's side of metrics: each worker process sends its recorder's snapshot in its
// heartbeat (every second, over the existing IPC channel), and the pool reports their sum, so a
// scrape of the supervisor's --health-port sees one coherent set, as if the pool were one
// process. A child that exits leaves its last counters in the sum (counters never go down while
// the supervisor lives); its busy slots leave with it. Its final heartbeat may be read after its
// exit, so an exited child's figures stay open to it for a few seconds before they are folded in.
// What a child counted after its last heartbeat is lost if it is killed (at most a second).

import { emptySnapshot, mergeSnapshots, type MetricsSnapshot } from './snapshot.ts';

/** How long an exited child's last heartbeat may still arrive. */
const LATE_HEARTBEAT_MS = 5_000;
const NO_SLOTS = { workers: 0, total: 0, busy: 0 };

/** Children are known by their object, not their pid: a pid can come back for a later child. */
export class PoolMetrics {
  private readonly live = new Map<object, MetricsSnapshot>();
  private readonly leaving = new Map<object, { snapshot: MetricsSnapshot; exitedAt: number }>();
  private readonly exited = new WeakSet<object>();
  private past: MetricsSnapshot = emptySnapshot();

  /** A child's heartbeat carried its snapshot (counters only grow, so the newest replaces the last). */
  reported(child: object, snapshot: MetricsSnapshot): void {
    const leaving = this.leaving.get(child);
    if (leaving) leaving.snapshot = { ...snapshot, slots: NO_SLOTS };
    else if (!this.exited.has(child)) this.live.set(child, snapshot);
  }

  /** The child is gone: its counters stay in the sum, its slots do not. */
  exitedChild(child: object): void {
    const last = this.live.get(child) ?? emptySnapshot();
    this.live.delete(child);
    this.exited.add(child);
    this.leaving.set(child, { snapshot: { ...last, slots: NO_SLOTS }, exitedAt: Date.now() });
  }

  snapshot(now = Date.now()): MetricsSnapshot {
    for (const [child, { snapshot, exitedAt }] of this.leaving) {
      if (now - exitedAt < LATE_HEARTBEAT_MS) continue;
      this.past = mergeSnapshots([this.past, snapshot]);
      this.leaving.delete(child);
    }
    return mergeSnapshots([this.past, ...this.live.values(), ...[...this.leaving.values()].map((l) => l.snapshot)]);
  }
}
