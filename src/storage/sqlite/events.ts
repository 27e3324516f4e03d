// Job lifecycle events on SQLite, across every process on one database file: the contract of
// ../event-types.ts over two tables (schema.ts, migration 9), mirroring redis/events.ts.
// - A subscriber writes one event_listeners row per queue under a random listener id, expiring
//   LISTEN_TTL_MS ahead and renewed every RENEW_MS; it deletes them when it unsubscribes (a
//   crashed one's expire). Publishers in this process hear of it at once (a per-path map).
// - A publishing process learns which of its queues have live rows with one SELECT every
//   LEARN_MS while listening() is asked (none while idle), so with nobody subscribed nothing is
//   written. While someone is, each turn's publishes are appended to event_log in one
//   transaction (a row per publish: the JSON array), and rows older than KEEP_MS are pruned now
//   and then.
// - A subscriber reads the rows past the last id it saw, for its queues, in id order: writes
//   are serialized, so ids grow in commit order and one publisher's rows keep its order. It
//   reads on every commit to the file (the store's WakeHub: fs.watch on the -wal, wake.ts), at
//   once after a publish in this process, and every POLL_MS in case a watch event is missed.
// Uses the store's own connection: one per store with its busy timeout, closed after this
// transport (storage/events.ts), and better-sqlite3 is synchronous, so these statements never
// interleave with the store's transactions. Lifecycle: per store on first use; close() first.

import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { EventTransport, WireEvent } from '../event-types.ts';
import { WakeHub } from './wake.ts';
import { prepareEventStatements, type EventStatements } from './event-statements.ts';

/** How often a publishing process re-reads which of its queues are listened to. */
export const LEARN_MS = 2_000;
const RENEW_MS = 2_000;
/** The safety poll of a subscriber, for a commit the file watch did not report. */
const POLL_MS = 1_000;
const PRUNE_EVERY_MS = 10_000;

type Deliver = (events: readonly WireEvent[]) => void;

/** Per database path in this process: queues subscribed here, and their readers to nudge. */
interface Local {
  readonly queues: Map<string, number>;
  readonly readers: Set<() => void>;
}
const locals = new Map<string, Local>();

export class SqliteEvents implements EventTransport {
  private readonly known = new Map<string, boolean>();
  private readonly local: Local;
  private st: EventStatements | undefined;
  private timer: NodeJS.Timeout | undefined;
  private learnQueued = false;
  /** Whether listening() was called since the last round. */
  private asked = false;
  private closed = false;
  private pending: [queue: string, body: string][] = [];
  private lastPrune = 0;
  private readonly unsubscribes = new Set<() => Promise<void>>();

  constructor(private readonly db: Database.Database, private readonly path: string) {
    let local = locals.get(path);
    if (!local) locals.set(path, (local = { queues: new Map(), readers: new Set() }));
    this.local = local;
  }

  /** Prepared on first use, not when the transport is made on a hot path. */
  private statements(): EventStatements {
    return (this.st ??= prepareEventStatements(this.db));
  }

  listening(queue: string): boolean {
    if ((this.local.queues.get(queue) ?? 0) > 0) return true;
    this.asked = true;
    const state = this.known.get(queue);
    if (state !== undefined) {
      if (!this.timer) this.startLearning();
      return state;
    }
    this.known.set(queue, false);
    this.startLearning(); // a queue seen for the first time is looked up at once
    return false;
  }

  /** As in redis/events.ts: now, then every LEARN_MS while asked; a round with no ask stops. */
  private startLearning(): void {
    if (!this.learnQueued) {
      this.learnQueued = true;
      setImmediate(() => {
        this.learnQueued = false;
        this.learn();
      });
    }
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (!this.asked) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      this.asked = false;
      this.learn();
    }, LEARN_MS).unref();
  }

  private learn(): void {
    if (this.closed) return;
    try {
      const queues = [...this.known.keys()];
      const found = new Set(this.statements().listened.all(JSON.stringify(queues)));
      for (const queue of queues) this.known.set(queue, found.has(queue));
    } catch {
      // Busy or closed: keep what was known; the next round tries again.
    }
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
    const st = this.statements();
    const listener = randomUUID();
    const wanted = [...new Set(queues)];
    const wantedJson = JSON.stringify(wanted);
    st.announce(listener, wanted);
    let cursor = st.lastId.get()!;
    let stopped = false;
    const read = () => {
      try {
        while (!stopped) {
          const rows = st.read.all(cursor, wantedJson);
          for (const row of rows) {
            if (stopped) return;
            cursor = row.id;
            let events: unknown;
            try {
              events = JSON.parse(row.body);
            } catch {
              continue;
            }
            if (Array.isArray(events)) deliver(events as WireEvent[]);
          }
          if (rows.length < st.readBatch) return;
        }
      } catch {
        // Unreadable now: the next wake-up or poll reads from the same cursor.
      }
    };
    const hub = WakeHub.acquire(this.path);
    const waiter = { owner: {}, check: read, resolve() {} };
    hub.add(waiter);
    hub.watchForCommits();
    for (const queue of wanted) this.local.queues.set(queue, (this.local.queues.get(queue) ?? 0) + 1);
    this.local.readers.add(read);
    let polls = 0;
    // Ref'd, as a Redis subscriber's connection is: a subscribed process stays up until close.
    const poll = setInterval(() => {
      if (!this.db.open) return void unsubscribe();
      hub.watchForCommits(); // again, in case the watch failed
      read();
      if (++polls % (RENEW_MS / POLL_MS) === 0) {
        try {
          st.announce(listener, wanted);
        } catch {
          // Busy: the row lives LISTEN_TTL_MS, several renewals.
        }
      }
    }, POLL_MS);
    const unsubscribe = async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(poll);
      hub.remove(waiter);
      hub.release(waiter.owner);
      this.local.readers.delete(read);
      for (const queue of wanted) {
        const count = (this.local.queues.get(queue) ?? 1) - 1;
        if (count > 0) this.local.queues.set(queue, count);
        else this.local.queues.delete(queue);
      }
      this.unsubscribes.delete(unsubscribe);
      try {
        if (this.db.open) st.leave.run(listener);
      } catch {
        // Busy: the rows expire after LISTEN_TTL_MS.
      }
    };
    this.unsubscribes.add(unsubscribe);
    return unsubscribe;
  }

  close(): void {
    if (this.closed) return;
    if (this.db.open) this.flush();
    this.closed = true;
    clearInterval(this.timer);
    for (const unsubscribe of [...this.unsubscribes]) void unsubscribe();
  }
}
