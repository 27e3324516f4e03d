// Job lifecycle events as they travel between processes, and the transport a store offers for
// them (redis/events.ts: pub/sub; sqlite/events.ts: tables read on each commit). The contract that keeps the
// hot path free when nobody listens: publishers ask listening(queue) first, a local read, and
// publish nothing while it is false; the transport learns of subscribers in the background.

export type JobEventType = 'enqueued' | 'started' | 'completed' | 'failed' | 'retried' | 'recovered';

/** One event on the wire. Fields beyond the common ones depend on `type` (see events/types.ts). */
export interface WireEvent {
  readonly type: JobEventType;
  readonly queue: string;
  /** Epoch ms on the publishing process's clock. */
  readonly at: number;
  readonly name?: string;
  readonly id?: string;
  readonly args?: readonly unknown[];
  readonly attempt?: number;
  readonly worker?: string;
  readonly durationMs?: number;
  readonly error?: { readonly class: string; readonly message: string };
  /** enqueued (delayed) and retried: when it is due, epoch ms. */
  readonly runAt?: number;
  /** recovered: the dead worker instances, and the jobs handed back or failed as poison. */
  readonly deadWorkers?: readonly string[];
  readonly requeued?: number;
  readonly poisoned?: number;
}

export interface EventTransport {
  /**
   * Whether anyone subscribes to `queue`'s events, as last learned: a map read. The first ask
   * for a queue makes the transport watch it (in the background) from then on.
   */
  listening(queue: string): boolean;
  /** The events of one queue, in one message. Fire and forget: a failed publish is dropped. */
  publish(queue: string, events: readonly WireEvent[]): void;
  /** Delivers `queues`' events from any process; resolves once subscribed, to the unsubscribe function. */
  subscribe(queues: readonly string[], deliver: (events: readonly WireEvent[]) => void): Promise<() => Promise<void>>;
  /** Stops background work (with the store). */
  close(): void;
}
