// Builds the Prometheus registry errand serves on /metrics (the dashboard, the supervisor's
// --health-port) and hands to apps that serve their own (errand.metrics()). prom-client is
// imported here, dynamically, the first time a registry is built: a worker that nobody scrapes
// never loads it. A registry is its own (not prom-client's global one), so it can be merged into
// an app's with Registry.merge, and errand's names never clash with the app's.

import type * as Prom from 'prom-client';
import { registerJobMetrics, scrapeSnapshot } from './job-metrics.ts';
import type { MetricsSnapshot } from './snapshot.ts';
import { registerStoreGauges, type StoreSources } from './store-gauges.ts';

export interface RegistrySources {
  /** The recorded counters: this process's recorder, or a supervisor's sum over its children. */
  readonly snapshot: () => MetricsSnapshot;
  /** Where the store gauges come from; without it, the registry has the recorded metrics only. */
  readonly store?: StoreSources;
}

let prom: Promise<typeof Prom> | undefined;

/** prom-client, loaded on first use. */
export function loadPromClient(): Promise<typeof Prom> {
  prom ??= import('prom-client').then((module) => module.Registry ? module : (module.default as typeof Prom));
  return prom;
}

export async function buildRegistry(sources: RegistrySources): Promise<Prom.Registry> {
  const client = await loadPromClient();
  const registry = new client.Registry();
  registerJobMetrics(registry, scrapeSnapshot(sources.snapshot));
  if (sources.store) registerStoreGauges(client, registry, sources.store);
  return registry;
}

/** The exposition text and its content type, for an HTTP answer. */
export async function exposition(registry: Prom.Registry): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}
