// The event transport of a store, one per store object, made on first use: Redis pub/sub
// (redis/events.ts) or SQLite's tables, on the store's own connection (sqlite/events.ts). Kept
// beside the store rather than in it so the Store contract stays the hot path's; closed by
// closeEventTransport().

import type { EventTransport } from './event-types.ts';
import type { Store } from './types.ts';
import { RedisEvents } from './redis/events.ts';
import { SqliteEvents } from './sqlite/events.ts';
import type { RedisStore } from './redis/store.ts';
import type { SqliteStore } from './sqlite/store.ts';

const transports = new WeakMap<Store, EventTransport>();

export function eventTransportOf(store: Store): EventTransport {
  let transport = transports.get(store);
  if (!transport) {
    if (store.kind === 'redis') {
      const redis = store as RedisStore;
      transport = new RedisEvents(redis.redis, redis.keys);
    } else {
      const sqlite = store as SqliteStore;
      transport = new SqliteEvents(sqlite.database, sqlite.path);
    }
    transports.set(store, transport);
  }
  return transport;
}

/** Before the store closes: the SQLite transport flushes its last events through its connection. */
export function closeEventTransport(store: Store): void {
  transports.get(store)?.close();
  transports.delete(store);
}
