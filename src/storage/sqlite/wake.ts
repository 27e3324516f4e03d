// Wake-ups for idle workers on a SQLite file, without polling it. One WakeHub per database
// path per process, shared by every store open on that path:
// - in-process: a store that adds work calls notify() after its commit;
// - cross-process: fs.watch on the file's directory sees every commit another process appends
//   to `<file>-wal` (inotify on Linux) and re-checks.
// A re-check asks each waiter whether its queues' version (sum of tail - head, which only grows
// as jobs enter a queue, see schema.ts) moved past the version it saw at its last reserve.
// Because the version lives in the database, a wake-up between "reserve found nothing" and
// "start waiting" is never lost: the wait sees the moved version and returns at once.
// Lifecycle: acquire() per store, release() on close; the watcher starts with the first waiter
// and stops after the hub has been idle a while. If watching fails, waits end at their timeout.

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface Waiter {
  readonly owner: object;
  /** Re-reads the store; resolves the waiter when work may be there. */
  check(): void;
  resolve(): void;
}

/** A commit's frames may land in the -wal file a moment before its header makes them visible. */
const TRAILING_CHECKS_MS = [1, 4, 15, 150] as const;
const IDLE_UNWATCH_MS = 5_000;

const hubs = new Map<string, WakeHub>();

export class WakeHub {
  private readonly waiters = new Set<Waiter>();
  private users = 0;
  private watcher: FSWatcher | undefined;
  private checkQueued = false;
  private readonly trailing: (NodeJS.Timeout | undefined)[] = TRAILING_CHECKS_MS.map(() => undefined);
  private idleTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly path: string) {}

  static acquire(path: string): WakeHub {
    let hub = hubs.get(path);
    if (!hub) hubs.set(path, (hub = new WakeHub(path)));
    hub.users++;
    return hub;
  }

  release(owner: object): void {
    for (const waiter of this.waiters) if (waiter.owner === owner) waiter.resolve();
    if (--this.users > 0) return;
    hubs.delete(this.path);
    this.unwatch();
  }

  /** Starts watching before the caller reads the version, so no commit after that read is missed. */
  watchForCommits(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.watcher) return;
    const names = new Set([`${basename(this.path)}-wal`, basename(this.path)]);
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, filename) => {
        if (filename === null || names.has(String(filename))) this.onCommit();
      });
      this.watcher.on('error', () => this.unwatch());
    } catch {
      this.watcher = undefined;
    }
  }

  add(waiter: Waiter): void {
    this.waiters.add(waiter);
  }

  remove(waiter: Waiter): void {
    this.waiters.delete(waiter);
    if (this.waiters.size === 0 && this.watcher && !this.idleTimer) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        if (this.waiters.size === 0) this.unwatch();
      }, IDLE_UNWATCH_MS);
      this.idleTimer.unref();
    }
  }

  /** This process committed new work: every waiter re-checks now. */
  notify(): void {
    this.queueCheck();
  }

  private onCommit(): void {
    if (this.waiters.size === 0) return;
    this.queueCheck();
    TRAILING_CHECKS_MS.forEach((delay, i) => {
      if (this.trailing[i]) return;
      this.trailing[i] = setTimeout(() => {
        this.trailing[i] = undefined;
        this.checkAll();
      }, delay);
      this.trailing[i]!.unref();
    });
  }

  /** Many commits in one tick cost one re-check. */
  private queueCheck(): void {
    if (this.checkQueued || this.waiters.size === 0) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      this.checkAll();
    });
  }

  private checkAll(): void {
    for (const waiter of [...this.waiters]) waiter.check();
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.trailing.forEach((timer, i) => {
      clearTimeout(timer);
      this.trailing[i] = undefined;
    });
  }
}
