// The messages and shared memory between a worker (main thread) and its lease thread
// (lease-thread.ts). The shared Float64Array carries what the main thread updates too often to
// post: its pulse (monotonic ms of the last message it handled), its started watermark, and
// whether it holds jobs (which sets the beat pace).

import type { StoreIncidents } from '../storage/incidents.ts';
import type { Control, StoreSpec, WorkerStatus } from '../storage/types.ts';

export const SHARED = { pulse: 0, startedUpTo: 1, busy: 2, length: 3 } as const;

export interface LeaseThreadData {
  readonly store: StoreSpec;
  readonly instance: string;
  readonly queues: readonly string[] | '*';
  readonly heartbeatMs: number;
  readonly idleBeatMs: number;
  readonly stuckTimeoutMs: number;
  readonly shared: SharedArrayBuffer;
}

export type ToLeaseThread =
  /** The first message: what to renew and how. Until it comes the thread only loads its modules. */
  | { readonly type: 'init'; readonly data: LeaseThreadData }
  | { readonly type: 'status'; readonly workingOn: WorkerStatus['workingOn'] }
  | { readonly type: 'instance'; readonly instance: string }
  | { readonly type: 'hurry' }
  | { readonly type: 'stop' };

/** The thread's store errors and reconnects so far (its own connection): the worker adds what is new to its metrics. */
interface Counted {
  readonly incidents: StoreIncidents;
}

export type FromLeaseThread =
  | { readonly type: 'beat'; readonly instance: string; readonly control: Control; readonly sentAt: number; readonly rttMs: number } & Counted
  | { readonly type: 'beat-failed'; readonly instance: string; readonly message: string; readonly sentAt: number } & Counted
  /** The lease was not renewed: the main thread had not answered for `silentMs`. */
  | { readonly type: 'withheld'; readonly silentMs: number }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'stopped' } & Counted;
