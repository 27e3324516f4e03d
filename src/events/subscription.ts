// errand.events(): one subscription to the lifecycle events of some queues, from every process
// on the store (Redis pub/sub, SQLite tables), optionally narrowed to one job. Typed: with a
// job, listeners get its args tuple. Lifecycle: subscribes at once (`ready` resolves when
// subscribed; publishers hear of it within about two seconds); close() unsubscribes. A listener that throws
// is reported on 'error' if there is an 'error' listener, and otherwise dropped: it must not
// stop the others.

import { EventEmitter } from 'node:events';
import { ConfigError } from '../errors.ts';
import type { EventTransport, WireEvent } from '../storage/event-types.ts';
import type { JobEventMap } from './types.ts';

const TYPES = new Set(['enqueued', 'started', 'completed', 'failed', 'retried', 'recovered']);

export interface EventsFilter {
  readonly queues: readonly string[];
  /** Only this job's events (the job's name); every job of those queues when absent. */
  readonly name?: string;
}

export class JobEvents<A extends readonly unknown[] = unknown[]> {
  /** Resolves once subscribed; rejects if the store cannot be reached. */
  readonly ready: Promise<void>;
  private readonly emitter = new EventEmitter();
  private unsubscribe: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(transport: Promise<EventTransport>, private readonly filter: EventsFilter, private readonly onClose: (events: JobEvents<A>) => void) {
    if (!Array.isArray(filter.queues) || filter.queues.length === 0 || filter.queues.some((queue) => typeof queue !== 'string' || queue === '')) {
      throw new ConfigError('errand.events() needs a job or { queues: [...] } naming at least one queue');
    }
    this.ready = (async () => {
      const unsubscribe = await (await transport).subscribe(filter.queues, (events) => this.deliver(events));
      if (this.closed) await unsubscribe();
      else this.unsubscribe = unsubscribe;
    })();
    this.ready.catch(() => {}); // surfaced to whoever awaits ready
  }

  on<K extends keyof JobEventMap<A>>(type: K, listener: (event: JobEventMap<A>[K]) => void): this {
    this.emitter.on(type, listener as (event: unknown) => void);
    return this;
  }

  off<K extends keyof JobEventMap<A>>(type: K, listener: (event: JobEventMap<A>[K]) => void): this {
    this.emitter.off(type, listener as (event: unknown) => void);
    return this;
  }

  /** Every event, whatever its type. */
  onAny(listener: (event: JobEventMap<A>[keyof JobEventMap<A>]) => void): this {
    this.emitter.on('*', listener as (event: unknown) => void);
    return this;
  }

  onError(listener: (error: unknown) => void): this {
    this.emitter.on('error', listener);
    return this;
  }

  private deliver(events: readonly WireEvent[]): void {
    for (const event of events) {
      if (!TYPES.has(event.type)) continue;
      if (this.filter.name !== undefined && event.type !== 'recovered' && event.name !== this.filter.name) continue;
      for (const type of [event.type, '*']) {
        for (const listener of this.emitter.listeners(type)) {
          try {
            (listener as (event: unknown) => void)(event);
          } catch (error) {
            if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', error);
          }
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    await this.ready.catch(() => {});
    await this.unsubscribe?.();
  }
}
