// One SQLite events subscription (events.ts): announces its queues in event_listeners, reads
// event_log past the last id it saw, and delivers each row's events in id order.
// Lifecycle: the constructor announces (throwing if the store cannot be written, so subscribe
// rejects) and starts reading; stop() deletes its listener rows and stops reading.
// Invariants: rows are read past a cursor taken after the announce, in id order, and SQLite
// serializes writes, so ids grow in commit order: a row committed later never has a lower id,
// and one publisher's rows keep its order. Reads come on every commit to the file (the store's
// WakeHub, fs.watch on the -wal), at once after a publish in this process (events.ts calls
// read()), and every POLL_MS in case a watch event is missed.

import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { WireEvent } from '../event-types.ts';
import type { EventStatements } from './event-statements.ts';
import { WakeHub, type Waiter } from './wake.ts';

/** The safety poll, for a commit the file watch did not report. */
const POLL_MS = 1_000;
/** Listener rows are renewed this often (every other poll); they live LISTEN_TTL_MS. */
const RENEW_MS = 2_000;

export class LogSubscriber {
  private readonly listener = randomUUID();
  private readonly queuesJson: string;
  private cursor: number;
  private stopped = false;
  private polls = 0;
  private readonly hub: WakeHub;
  private readonly waiter: Waiter;
  private readonly poll: NodeJS.Timeout;

  constructor(
    private readonly db: Database.Database, path: string, private readonly st: EventStatements,
    private readonly queues: readonly string[], private readonly deliver: (events: readonly WireEvent[]) => void,
    /** The store's connection closed under the subscription. */
    onLost: () => void,
  ) {
    this.queuesJson = JSON.stringify(queues);
    st.announce(this.listener, queues);
    this.cursor = st.lastId.get()!;
    this.hub = WakeHub.acquire(path);
    this.waiter = { owner: this, check: this.read, resolve() {} };
    this.hub.add(this.waiter);
    this.hub.watchForCommits();
    // Ref'd, as a Redis subscriber's connection is: a subscribed process stays up until it closes.
    this.poll = setInterval(() => {
      if (!db.open) return onLost();
      this.hub.watchForCommits(); // again, in case the watch failed
      this.read();
      if (++this.polls % (RENEW_MS / POLL_MS) === 0) {
        try {
          st.announce(this.listener, queues);
        } catch {
          // Busy: the rows live LISTEN_TTL_MS, several renewals.
        }
      }
    }, POLL_MS);
  }

  readonly read = (): void => {
    try {
      while (!this.stopped) {
        const rows = this.st.read.all(this.cursor, this.queuesJson);
        for (const row of rows) {
          if (this.stopped) return;
          this.cursor = row.id;
          let events: unknown;
          try {
            events = JSON.parse(row.body);
          } catch {
            continue;
          }
          if (Array.isArray(events)) this.deliver(events as WireEvent[]);
        }
        if (rows.length < this.st.readBatch) return;
      }
    } catch {
      // Unreadable now (busy, closing): the next wake-up or poll reads from the same cursor.
    }
  };

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.poll);
    this.hub.remove(this.waiter);
    this.hub.release(this);
    try {
      if (this.db.open) this.st.leave.run(this.listener);
    } catch {
      // Busy: the rows expire after LISTEN_TTL_MS.
    }
  }
}
