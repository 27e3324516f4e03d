// Every benchmarked system by name, in the order rounds run them (errand first, then peers).

import { beeQueue } from './bee-queue.ts';
import { bullmq } from './bullmq.ts';
import { errandRedis, errandSqlite } from './errand.ts';
import { nodeResque } from './node-resque.ts';
import type { Adapter } from './types.ts';

export const adapters: readonly Adapter[] = [errandRedis, errandSqlite, bullmq, beeQueue, nodeResque];

export function adapterNamed(name: string): Adapter {
  const adapter = adapters.find((candidate) => candidate.name === name);
  if (!adapter) throw new Error(`unknown system "${name}"; known: ${adapters.map((a) => a.name).join(', ')}`);
  return adapter;
}
