// Whether this worker may declare others dead. A worker that could not reach the store, or got
// its replies late, may be one of many: during a store freeze or failover nobody could renew a
// lease, so leases ran out with every worker alive. It reaps nobody until it has been in good
// contact for one full lease since, which gives the others the same time to renew theirs. A
// fresh worker starts out of contact for the same reason (it may have started mid-outage).
// Lifecycle: fed with every heartbeat's result; read before each maintenance pass. Times are
// monotonic ms (process.hrtime), so a client clock that jumps cannot shorten the grace.

import type { RecoverOptions } from '../storage/types.ts';

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

export class Contact {
  /** When good contact began (monotonic ms), undefined while out of contact. */
  private since: number | undefined;
  /** The store's clock at the last good heartbeat. */
  private storeNow: number | undefined;

  /**
   * @param leaseMs this worker's lease: how long contact must last before it reaps
   * @param slowMs a reply slower than this counts as an outage (the store stalled)
   */
  constructor(private readonly leaseMs: number, private readonly slowMs: number) {}

  /** A heartbeat sent at `sentAt` (monotonic ms) was answered after `rttMs`, at store time `storeNow`. */
  answered(sentAt: number, rttMs: number, storeNow: number): void {
    if (rttMs > this.slowMs) return this.lost();
    this.since ??= sentAt;
    this.storeNow = storeNow;
  }

  lost(): void {
    this.since = undefined;
    this.storeNow = undefined;
  }

  get inContactMs(): number {
    return this.since === undefined ? 0 : monotonicMs() - this.since;
  }

  /** The reaping part of RecoverOptions: reap only after a full lease of contact, and only close to the last good heartbeat. */
  reapOptions(): Pick<RecoverOptions, 'reapDead' | 'contactAt' | 'contactWithinMs'> {
    const reapDead = this.since !== undefined && monotonicMs() - this.since >= this.leaseMs;
    return { reapDead, contactAt: this.storeNow, contactWithinMs: this.slowMs };
  }
}
