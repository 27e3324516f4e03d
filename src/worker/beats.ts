// Where a worker's heartbeats come from. ThreadBeats runs them in a lease thread
// (lease-thread.ts) with its own store connection, so a busy event loop cannot stop them;
// LocalBeats runs them on a timer of the worker's own event loop, for stores that cannot be
// reopened in a thread (no `spec`) and as the fallback when the thread cannot start.
// Lifecycle: start() once registered; started() at each job start; stop() before unregister.
// Invariant: every heartbeat result reaches onBeat() in order, on the worker's event loop.

import type { Worker as Thread } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import { addStoreIncidents, type StoreIncidents } from '../storage/incidents.ts';
import type { Control, Store, StoreSpec, WorkerStatus } from '../storage/types.ts';
import { monotonicMs } from './contact.ts';
import { SHARED, type FromLeaseThread, type LeaseThreadData, type ToLeaseThread } from './lease-protocol.ts';
import { takeLeaseThread } from './lease-spawn.ts';

const FIRST_BEAT_MS = 50;
const STOP_WAIT_MS = 2_000;

export type BeatResult =
  | { readonly ok: true; readonly control: Control; readonly sentAt: number; readonly rttMs: number }
  | { readonly ok: false; readonly error: Error };

export interface BeatHandlers {
  instance(): string;
  status(): WorkerStatus;
  holdsJobs(): boolean;
  queues(): readonly string[] | '*';
  onBeat(result: BeatResult): Promise<void>;
}

export interface BeatPace {
  heartbeatMs: number;
  idleBeatMs: number;
  stuckTimeoutMs: number;
}

export interface Beats {
  start(): void;
  /** The worker took jobs: come forward to the busy pace. */
  hurry(): void;
  /** The worker started the job with this token (its started watermark). */
  started(token: number): void;
  /** The worker registered again under a new instance id. */
  renamed(instance: string): void;
  stop(): Promise<void>;
}

export function makeBeats(store: Store, pace: BeatPace, handlers: BeatHandlers, log: Logger): Beats {
  return store.spec ? new ThreadBeats(store.spec, store, pace, handlers, log) : new LocalBeats(store, pace, handlers);
}

class ThreadBeats implements Beats {
  private thread: Thread | undefined;
  private readonly shared = new Float64Array(new SharedArrayBuffer(SHARED.length * Float64Array.BYTES_PER_ELEMENT));
  private fallback: LocalBeats | undefined;
  private lastStatusKey = '';
  private stopping = false;
  private stoppedSignal: (() => void) | undefined;
  private withheldReported = false;
  private chain: Promise<void> = Promise.resolve();
  /** The thread's incident totals already added to this process's (its messages carry totals, not increments). */
  private forwarded: StoreIncidents = { errors: { redis: 0, sqlite: 0 }, reconnects: { redis: 0, sqlite: 0 } };

  constructor(private readonly spec: StoreSpec, private readonly store: Store, private readonly pace: BeatPace, private readonly handlers: BeatHandlers, private readonly log: Logger) {}

  start(): void {
    this.shared[SHARED.pulse] = monotonicMs();
    try {
      this.thread = takeLeaseThread(this.spec.url);
    } catch (error) {
      return this.fallBack(error as Error);
    }
    const data: LeaseThreadData = {
      store: this.spec, instance: this.handlers.instance(), queues: this.handlers.queues(), heartbeatMs: this.pace.heartbeatMs,
      idleBeatMs: this.pace.idleBeatMs, stuckTimeoutMs: this.pace.stuckTimeoutMs, shared: this.shared.buffer as SharedArrayBuffer,
    };
    this.thread.postMessage({ type: 'init', data } satisfies ToLeaseThread);
    // The thread (unref'd) must not keep a process alive on its own (a worker that was never stopped).
    this.thread.on('message', (message: FromLeaseThread) => this.onMessage(message));
    this.thread.on('error', (error) => this.fallBack(error));
    this.thread.on('exit', () => {
      this.stoppedSignal?.();
      if (!this.stopping) this.fallBack(new Error('the lease thread exited'));
    });
  }

  private onMessage(message: FromLeaseThread): void {
    // Handling a message at all shows this event loop answers: that is the pulse.
    this.shared[SHARED.pulse] = monotonicMs();
    this.shared[SHARED.busy] = this.handlers.holdsJobs() ? 1 : 0;
    this.sendStatus();
    if ('incidents' in message) this.forward(message.incidents);
    if (message.type === 'fatal') return this.fallBack(new Error(message.message));
    if (message.type === 'stopped') return this.stoppedSignal?.();
    if (message.type === 'withheld') {
      // Once per stall: the thread reports every beat it withheld, and they arrive together.
      if (!this.withheldReported) this.log.error({ silentMs: message.silentMs, stuckTimeoutMs: this.pace.stuckTimeoutMs }, 'the event loop did not answer for longer than the stuck timeout: the lease was not renewed, so other workers may take back this worker\'s jobs');
      this.withheldReported = true;
      return;
    }
    this.withheldReported = false;
    // A beat for an instance id this worker no longer has (it registered again) says nothing about the new one.
    if (message.instance !== this.handlers.instance()) return;
    const result: BeatResult = message.type === 'beat'
      ? { ok: true, control: message.control, sentAt: message.sentAt, rttMs: message.rttMs }
      : { ok: false, error: new Error(message.message) };
    this.chain = this.chain.then(() => this.handlers.onBeat(result)).catch((error) => this.log.error({ err: error }, 'heartbeat handling failed'));
  }

  /** Adds the store errors and reconnects of the thread's connection counted since its last message. */
  private forward(totals: StoreIncidents): void {
    const last = this.forwarded;
    const delta = (now: Record<string, number>, before: Record<string, number>) => ({ redis: (now.redis ?? 0) - (before.redis ?? 0), sqlite: (now.sqlite ?? 0) - (before.sqlite ?? 0) });
    addStoreIncidents({ errors: delta(totals.errors, last.errors), reconnects: delta(totals.reconnects, last.reconnects) });
    this.forwarded = totals;
  }

  private sendStatus(): void {
    const { workingOn } = this.handlers.status();
    const key = workingOn ? `${workingOn.runAt.getTime()}\n${workingOn.queue}\n${workingOn.payload}` : '';
    if (key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    this.post({ type: 'status', workingOn });
  }

  private post(message: ToLeaseThread): void {
    if (this.fallback) return;
    this.thread?.postMessage(message);
  }

  private fallBack(error: Error): void {
    if (this.fallback || this.stopping) return;
    this.log.warn({ err: error }, 'lease thread unavailable: heartbeats run on the worker\'s event loop (a job that blocks it for longer than deadAfter makes the worker look dead)');
    void this.thread?.terminate();
    this.fallback = new LocalBeats(this.store, this.pace, this.handlers);
    this.fallback.start();
  }

  hurry(): void {
    if (this.fallback) return this.fallback.hurry();
    // Once per change to busy, not per reserve: a message per batch would cost the hot path.
    if (this.shared[SHARED.busy] === 1) return;
    this.shared[SHARED.busy] = 1;
    this.post({ type: 'hurry' });
  }

  started(token: number): void {
    if (token > this.shared[SHARED.startedUpTo]!) this.shared[SHARED.startedUpTo] = token;
    this.fallback?.started(token);
  }

  renamed(instance: string): void {
    this.shared[SHARED.startedUpTo] = 0;
    this.post({ type: 'instance', instance });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.fallback?.stop();
    const thread = this.thread;
    if (!thread || this.fallback) return;
    // Held while it stops: an unref'd thread and timer alone would let the process exit mid-stop.
    thread.ref();
    await new Promise<void>((resolve) => {
      this.stoppedSignal = resolve;
      setTimeout(resolve, STOP_WAIT_MS).unref();
      thread.postMessage({ type: 'stop' } satisfies ToLeaseThread);
    });
    await thread.terminate();
    await this.chain;
  }
}

/** Heartbeats on a timer of the worker's own event loop; one at a time, paced like the thread's. */
class LocalBeats implements Beats {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private beating = false;
  private lastBeatAt = 0;
  private nextBeatAt = 0;
  private current: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store, private readonly pace: BeatPace, private readonly handlers: BeatHandlers) {}

  start(): void {
    this.arm(FIRST_BEAT_MS);
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.nextBeatAt = monotonicMs() + delayMs;
    this.timer = setTimeout(() => (this.current = this.beat()), delayMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    this.beating = true;
    this.lastBeatAt = monotonicMs();
    const sentAt = this.lastBeatAt;
    let result: BeatResult;
    try {
      const control = await this.store.heartbeat(this.handlers.instance(), this.handlers.status(), { queues: this.handlers.queues() });
      result = { ok: true, control, sentAt, rttMs: monotonicMs() - sentAt };
    } catch (error) {
      result = { ok: false, error: error as Error };
    }
    if (!this.stopped) await this.handlers.onBeat(result).catch(() => {});
    this.beating = false;
    // A fixed cadence from this beat's start (see lease-thread.ts).
    const paceMs = this.handlers.holdsJobs() ? this.pace.heartbeatMs : this.pace.idleBeatMs;
    this.arm(Math.max(0, this.lastBeatAt + paceMs - monotonicMs()));
  }

  hurry(): void {
    const busyAt = this.lastBeatAt + this.pace.heartbeatMs;
    if (this.stopped || this.beating || this.lastBeatAt === 0 || this.nextBeatAt <= busyAt) return;
    this.arm(Math.max(0, busyAt - monotonicMs()));
  }

  // The watermark reaches the store through status(), read at each beat.
  started(_token: number): void {}

  renamed(_instance: string): void {}

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
