// Job lifecycle events on SQLite, across every process on one database file: the contract of
// ../event-types.ts over two tables (schema.ts, migration 9), mirroring redis/events.ts.
// - A subscriber (event-subscriber.ts) keeps one event_listeners row per queue alive while
//   subscribed and reads event_log on each commit to the file. Publishers in this process know
//   of it at once (a per-path map) and wake it right after their publish.
// - A publishing process learns which of its queues have live rows with one SELECT every
//   LEARN_MS while listening() is asked (none while idle), so with nobody subscribed nothing is
//   written. While someone is, each turn's publishes are appended to event_log in one
//   transaction (a row per publish: the JSON array), and rows older than a minute are pruned
//   every PRUNE_EVERY_MS or so.
// Uses the store's own connection: one per store with its busy timeout, closed after this
// transport (storage/events.ts), and better-sqlite3 is synchronous, so these statements never
// interleave with the store's transactions. Lifecycle: per store on first use; close() first.

import type Database from 'better-sqlite3';
import type { EventTransport, WireEvent } from '../event-types.ts';
import { ListenerLearning } from '../listener-learning.ts';
import { LogSubscriber } from './event-subscriber.ts';
import { prepareEventStatements, type EventStatements } from './event-statements.ts';

/** How often a publishing process re-reads which of its queues are listened to. */
export const LEARN_MS = 2_000;
const PRUNE_EVERY_MS = 10_000;

type Deliver = (events: readonly WireEvent[]) => void;

/** Per database path in this process (kept: one small entry per file): queues subscribed here, and their readers to nudge. */
interface Local {
  readonly queues: Map<string, number>;
  readonly readers: Set<() => void>;
}
const locals = new Map<string, Local>();

export class SqliteEvents implements EventTransport {
  private readonly local: Local;
  private readonly learning: ListenerLearning;
  private st: EventStatements | undefined;
  private closed = false;
  private pending: [queue: string, body: string][] = [];
  private lastPrune = 0;
  private readonly unsubscribes = new Set<() => Promise<void>>();

  constructor(private readonly db: Database.Database, private readonly path: string) {
    let local = locals.get(path);
    if (!local) locals.set(path, (local = { queues: new Map(), readers: new Set() }));
    this.local = local;
    this.learning = new ListenerLearning((queues) => {
      const found = new Set(this.statements().listened.all(JSON.stringify(queues)));
      return queues.map((queue) => found.has(queue));
    }, LEARN_MS);
  }

  /** Prepared on first use, not when the transport is made on a hot path. */
  private statements(): EventStatements {
    return (this.st ??= prepareEventStatements(this.db));
  }

  listening(queue: string): boolean {
    return (this.local.queues.get(queue) ?? 0) > 0 || this.learning.listening(queue);
  }

  publish(queue: string, events: readonly WireEvent[]): void {
    if (this.closed) return;
    this.pending.push([queue, JSON.stringify(events)]);
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  /** One transaction (one commit, one wake-up for subscribers) for a turn's publishes. */
  private flush(): void {
    const rows = this.pending;
    if (rows.length === 0) return;
    this.pending = [];
    const prune = Date.now() - this.lastPrune >= PRUNE_EVERY_MS;
    try {
      this.statements().append(rows, prune);
      if (prune) this.lastPrune = Date.now();
    } catch {
      // Fire and forget, as a failed PUBLISH: these events are dropped.
    }
    for (const read of this.local.readers) read();
  }

  async subscribe(queues: readonly string[], deliver: Deliver): Promise<() => Promise<void>> {
    const wanted = [...new Set(queues)];
    const unsubscribe = async (): Promise<void> => {
      if (!this.unsubscribes.delete(unsubscribe)) return;
      subscriber.stop();
      this.local.readers.delete(subscriber.read);
      for (const queue of wanted) {
        const count = (this.local.queues.get(queue) ?? 1) - 1;
        if (count > 0) this.local.queues.set(queue, count);
        else this.local.queues.delete(queue);
      }
    };
    const subscriber = new LogSubscriber(this.db, this.path, this.statements(), wanted, deliver, () => void unsubscribe());
    this.unsubscribes.add(unsubscribe);
    this.local.readers.add(subscriber.read);
    for (const queue of wanted) this.local.queues.set(queue, (this.local.queues.get(queue) ?? 0) + 1);
    return unsubscribe;
  }

  close(): void {
    if (this.closed) return;
    if (this.db.open) this.flush();
    this.closed = true;
    this.learning.close();
    for (const unsubscribe of [...this.unsubscribes]) void unsubscribe();
  }
}
