// Every benchmarked system by name, in the order rounds run them (errand first, then peers).
// Loaded lazily: a worker child imports only its own system's library, which keeps its start
// quick (all four libraries through tsx take a second or more on a busy 2-core machine).

import type { Adapter } from './types.ts';

const loaders: Record<string, () => Promise<Adapter>> = {
  'errand-redis': async () => (await import('./errand.ts')).errandRedis,
  'errand-sqlite': async () => (await import('./errand.ts')).errandSqlite,
  bullmq: async () => (await import('./bullmq.ts')).bullmq,
  'bee-queue': async () => (await import('./bee-queue.ts')).beeQueue,
  'node-resque': async () => (await import('./node-resque.ts')).nodeResque,
};

export const SYSTEMS = Object.keys(loaders);

export function loadAdapter(name: string): Promise<Adapter> {
  const load = loaders[name];
  if (!load) throw new Error(`unknown system "${name}"; known: ${SYSTEMS.join(', ')}`);
  return load();
}
