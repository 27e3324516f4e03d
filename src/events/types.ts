// The typed job lifecycle events errand.events() delivers. `A` is the job's args tuple (as
// enqueue takes them) when subscribed with a job, unknown[] for a list of queues. Args are the
// stored ones, as given to enqueue (before an args schema's transform), on every event.

export interface JobEventBase<A extends readonly unknown[]> {
  readonly queue: string;
  /** The job's name (Resque's class). */
  readonly name: string;
  /** The job id (EnqueuedJob.id, ctx.id); `resque-<token>` for a payload Ruby wrote. */
  readonly id: string;
  readonly args: A;
  /** 1 for the first run; a retry's attempt is the one that failed. */
  readonly attempt: number;
  /** Epoch ms on the clock of the process that published it. */
  readonly at: number;
}

export interface EnqueuedEvent<A extends readonly unknown[]> extends JobEventBase<A> {
  readonly type: 'enqueued';
  /** Delayed jobs: when due (epoch ms). */
  readonly runAt?: number;
}
export interface StartedEvent<A extends readonly unknown[]> extends JobEventBase<A> {
  readonly type: 'started';
  /** The worker instance running it. */
  readonly worker: string;
}
export interface CompletedEvent<A extends readonly unknown[]> extends JobEventBase<A> {
  readonly type: 'completed';
  readonly worker: string;
  /** How long the attempt ran (hooks and perform), in ms. */
  readonly durationMs: number;
}
export interface FailedEvent<A extends readonly unknown[]> extends JobEventBase<A> {
  readonly type: 'failed';
  readonly worker: string;
  readonly durationMs: number;
  /** The error's class (as the failed list names it) and message. */
  readonly error: { readonly class: string; readonly message: string };
}
export interface RetriedEvent<A extends readonly unknown[]> extends JobEventBase<A> {
  readonly type: 'retried';
  readonly worker: string;
  readonly durationMs: number;
  readonly error: { readonly class: string; readonly message: string };
  /** When the next attempt is due (epoch ms). */
  readonly runAt: number;
}
/** A worker found dead workers and handed their jobs back; not tied to one job or queue. */
export interface RecoveredEvent {
  readonly type: 'recovered';
  /** A queue the subscriber listens to (the event goes to every listened queue of the recovering worker). */
  readonly queue: string;
  readonly at: number;
  readonly worker: string;
  readonly deadWorkers: readonly string[];
  readonly requeued: number;
  readonly poisoned: number;
}

export interface JobEventMap<A extends readonly unknown[]> {
  enqueued: EnqueuedEvent<A>;
  started: StartedEvent<A>;
  completed: CompletedEvent<A>;
  failed: FailedEvent<A>;
  retried: RetriedEvent<A>;
  recovered: RecoveredEvent;
}

export type JobEvent<A extends readonly unknown[] = unknown[]> = JobEventMap<A>[keyof JobEventMap<A>];
