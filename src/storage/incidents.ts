// Store trouble, counted per process for metrics: commands that failed (every StoreError a store
// raises) and reconnections of a Redis connection. Plain counters that a store bumps and the
// metrics collector reads at scrape time, so storage depends on nothing above it and a process
// that nobody scrapes pays one integer increment per incident. A lease thread counts in its own
// copy of this module (its own connection) and sends its totals with each message to its worker
// (worker/beats.ts), which adds what is new here: the worker's thread is what a scrape reads.

export type StoreKind = 'redis' | 'sqlite';

const errors: Record<StoreKind, number> = { redis: 0, sqlite: 0 };
const reconnects: Record<StoreKind, number> = { redis: 0, sqlite: 0 };

export function countStoreError(kind: StoreKind): void {
  errors[kind]++;
}

export function countStoreReconnect(kind: StoreKind): void {
  reconnects[kind]++;
}

export interface StoreIncidents {
  readonly errors: Record<StoreKind, number>;
  readonly reconnects: Record<StoreKind, number>;
}

/** Totals since this process started, by store kind. */
export function storeIncidents(): StoreIncidents {
  return { errors: { ...errors }, reconnects: { ...reconnects } };
}

/** Incidents counted elsewhere (a lease thread's connection), added to this thread's totals. */
export function addStoreIncidents(more: StoreIncidents): void {
  for (const kind of ['redis', 'sqlite'] as const) {
    errors[kind] += more.errors[kind] ?? 0;
    reconnects[kind] += more.reconnects[kind] ?? 0;
  }
}
