// createDashboard(): errand's web dashboard as a fetch handler (Hono, Bun, Deno, workers) and a
// node:http handler (node:http, Express, Connect; Fastify and Koa through theirs, see README).
// It reads and changes the store through AdminStore only. Lifecycle: build once at startup;
// it opens nothing itself (the errand or store given owns the connection). Its pages and Hono
// load on createDashboard(), not with errand, so processes that never serve it never load them.

import type { Registry } from 'prom-client';
import type { AdminStore, Store } from '../storage/types.ts';
import { ConfigError } from '../errors.ts';
import { toNodeHandler, type NodeHandler } from './node.ts';

export interface DashboardOptions {
  /** An errand from createErrand(): the dashboard uses its admin side. */
  readonly errand?: { admin(): Promise<AdminStore>; store?(): Promise<Store>; metrics?(options?: { store?: boolean }): Promise<Registry> };
  /** Or a store (from openStore) or its admin side. */
  readonly store?: Store | AdminStore;
  /** Where it is mounted, e.g. '/errand' (default: the root). Links and forms include it. */
  readonly basePath?: string;
  /**
   * Called for every request before anything else: true lets it through, false answers 403,
   * a Response is answered as is (a 401 asking for credentials, a redirect to a login page).
   */
  readonly authorize?: (request: Request) => boolean | Response | Promise<boolean | Response>;
  /** Hide every button and refuse every mutation (403). */
  readonly readOnly?: boolean;
  /** Key for the CSRF token (default: random per process); give the same one to every process behind one URL. */
  readonly secret?: string;
  /**
   * Serve GET /metrics (Prometheus text) behind the same authorize hook: the errand's registry
   * (errand.metrics(): its workers' counters and the store gauges), or with a store alone the
   * store gauges. Off by default. `{ store: false }` leaves the store gauges out, when another
   * process is the one that reads them (docs/metrics.md, "One reader of the store gauges").
   */
  readonly metrics?: boolean | { readonly store?: boolean };
}

export interface Dashboard {
  readonly fetch: (request: Request) => Promise<Response>;
  /** `(req, res, next?)`: a 404 outside the dashboard's routes goes to `next` when given. */
  readonly node: NodeHandler;
  readonly basePath: string;
}

export function createDashboard(options: DashboardOptions): Dashboard {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath && !/^\/[A-Za-z0-9._~\-/]*$/.test(basePath)) throw new ConfigError(`createDashboard: basePath must start with "/" and hold only URL-safe characters, got ${JSON.stringify(options.basePath)}`);
  if (!options.errand === !options.store) throw new ConfigError('createDashboard: give exactly one of { errand } or { store }');
  const { errand, store } = options;
  const admin = errand ? () => errand.admin() : () => Promise.resolve('admin' in store! ? store.admin() : store!);
  // The Schedules page needs the store's ScheduleStore: an errand or a Store has one, an AdminStore alone does not.
  const schedules = errand ? async () => (errand.store ? (await errand.store()).schedules() : undefined) : async () => ('schedules' in store! ? store.schedules() : undefined);
  let registry: Promise<Registry> | undefined;
  const storeGauges = typeof options.metrics !== 'object' || options.metrics.store !== false;
  const metrics = !options.metrics ? undefined : () => (registry ??= errand?.metrics ? errand.metrics({ store: storeGauges })
    : import('../metrics/registry.ts').then(async ({ buildRegistry }) => buildRegistry({
      snapshot: (await import('../metrics/snapshot.ts')).emptySnapshot, ...(storeGauges ? { store: { admin, schedules } } : {}),
    })));
  // The pages and Hono load now but without holding up the caller: a process that never serves
  // the dashboard (a worker, a CLI command) does not load them at all, since createDashboard()
  // is what starts it. Options were checked above, so nothing can fail later for them.
  const settings = { admin, schedules, basePath, readOnly: options.readOnly ?? false, secret: options.secret, authorize: options.authorize, metrics };
  const app = import('./app.ts').then(({ buildApp }) => buildApp(settings));
  app.catch(() => {}); // a failed load is the first request's error, not an unhandled rejection
  const fetch = async (request: Request) => (await app).fetch(request);
  return { fetch, node: toNodeHandler(fetch), basePath };
}
