// Whether this worker may declare others dead. A worker that lost the store for long enough may be
// one of many: during a store freeze or failover nobody could renew a lease, so leases ran out
// with every worker alive. After such an outage it reaps nobody until it has been in good contact
// for one full lease, which gives the others the same time to renew theirs. A fresh worker whose
// registration was answered promptly is in contact from the start (a kill storm would otherwise
// leave no worker that may reap); one whose registration was slow starts out of contact, as it
// may have registered while the store was stalled.
// "Long enough" is a gap between good heartbeat replies that could have let a live worker's
// lease run out (its lease less the idle beat interval, at least one beat and a half); a single
// failed or slow beat inside that gap, a connection cut and re-made at once, is not an outage.
// Lifecycle: fed with every heartbeat's result; read before each maintenance pass. Times are
// monotonic ms (process.hrtime), so a client clock that jumps cannot shorten the grace.

import type { RecoverOptions } from '../storage/types.ts';

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

export interface ContactOptions {
  /** This worker's lease: how long contact must last after an outage before it reaps. */
  leaseMs: number;
  heartbeatMs: number;
  idleBeatMs: number;
}

export class Contact {
  /** When good contact began (monotonic ms), undefined while out of contact. */
  private since: number | undefined;
  /** When the last good heartbeat was sent. */
  private lastGoodSentAt: number | undefined;
  /** The store's clock at the last good heartbeat. */
  private storeNow: number | undefined;
  private failing = false;
  private readonly gapLimitMs: number;

  constructor(private readonly options: ContactOptions) {
    this.gapLimitMs = Math.max(options.idleBeatMs + options.heartbeatMs / 2, options.leaseMs - options.idleBeatMs);
  }

  /**
   * The worker registered, sent at `sentAt` and answered after `rttMs`: prompt means in contact
   * now. The gap until the first heartbeat (the lease thread starting up) is no outage.
   */
  registered(sentAt: number, rttMs: number): void {
    if (rttMs <= this.options.heartbeatMs) this.since = sentAt - this.options.leaseMs;
  }

  /** A heartbeat sent at `sentAt` (monotonic ms) was answered after `rttMs`, at store time `storeNow`. */
  answered(sentAt: number, rttMs: number, storeNow: number): void {
    const gap = this.lastGoodSentAt === undefined ? 0 : sentAt + rttMs - this.lastGoodSentAt;
    if (gap > this.gapLimitMs || rttMs > this.gapLimitMs) this.since = sentAt + rttMs;
    this.since ??= sentAt;
    this.lastGoodSentAt = sentAt;
    this.storeNow = storeNow;
    this.failing = false;
  }

  /** A heartbeat failed: no reaping until one succeeds (and the gap decides whether that was an outage). */
  failed(): void {
    this.failing = true;
  }

  get inContactMs(): number {
    return this.since === undefined || this.failing ? 0 : monotonicMs() - this.since;
  }

  /** The reaping part of RecoverOptions: reap only after a full lease of contact, and only close to the last good heartbeat. */
  reapOptions(): Pick<RecoverOptions, 'reapDead' | 'contactAt' | 'contactWithinMs'> {
    const reapDead = this.inContactMs >= this.options.leaseMs;
    // A freeze of the store between that heartbeat and the reap longer than this could have let a
    // live worker's lease run out (it renewed at most an idle beat before ours).
    const { leaseMs, heartbeatMs, idleBeatMs } = this.options;
    return { reapDead, contactAt: this.storeNow, contactWithinMs: Math.max(heartbeatMs / 2, leaseMs - idleBeatMs) };
  }
}
