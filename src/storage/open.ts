// Picks and opens a store from one URL: redis:// or rediss:// (Redis, Valkey), sqlite:<path>
// (the embedded default). resolveStoreUrl() applies the environment: ERRAND_URL, then
// REDIS_URL, then a SQLite file under the working directory.

import { resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { defaults } from '../defaults.ts';
import type { Store } from './types.ts';

export interface OpenStoreOptions {
  namespace?: string;
  commandTimeoutMs?: number;
  /** Redis only: 'resque-scheduler' writes delayed jobs in Ruby resque-scheduler's keys. */
  delayed?: 'errand' | 'resque-scheduler';
}

export function resolveStoreUrl(url: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return url || env.ERRAND_URL || env.REDIS_URL || `sqlite:${defaults.sqlitePath}`;
}

/** The file a sqlite: URL names, absolute. Accepts sqlite:rel/path, sqlite:/abs/path and sqlite:///abs/path. */
export function sqlitePathOf(url: string): string {
  const rest = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (!rest) throw new ConfigError(`store URL "${url}" names no file: use sqlite:./var/errand.db`);
  return resolve(rest);
}

/** The store classes a URL may need; openStore() loads only the one it needs. */
export interface StoreClasses {
  readonly RedisStore?: typeof import('./redis/store.ts').RedisStore;
  readonly SqliteStore?: typeof import('./sqlite/store.ts').SqliteStore;
}

/** Which store a URL names: redis:// or rediss:// (Redis, Valkey), sqlite:<path>; else undefined. */
export function storeKindOf(url: string): 'redis' | 'sqlite' | undefined {
  if (/^rediss?:\/\//.test(url)) return 'redis';
  if (url.startsWith('sqlite:')) return 'sqlite';
  return undefined;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const kind = storeKindOf(url);
  if (kind === 'redis') return openStoreWith(url, options, { RedisStore: (await import('./redis/store.ts')).RedisStore });
  if (kind === 'sqlite') return openStoreWith(url, options, { SqliteStore: (await import('./sqlite/store.ts')).SqliteStore });
  return openStoreWith(url, options, {});
}

/** openStore() with the classes already loaded (the lease thread loads them statically). */
/** Throws ConfigError unless `delayed` is a layout the store at `url` can write. */
export function checkDelayedLayout(url: string, delayed: unknown): void {
  if (delayed !== undefined && delayed !== 'errand' && delayed !== 'resque-scheduler') {
    throw new ConfigError(`delayed must be 'errand' or 'resque-scheduler', got ${JSON.stringify(delayed)}`);
  }
  if (delayed === 'resque-scheduler' && !/^rediss?:\/\//.test(url)) {
    throw new ConfigError(`delayed: 'resque-scheduler' is resque-scheduler's Redis layout; the store "${url}" is not Redis`);
  }
}

export function openStoreWith(url: string, options: OpenStoreOptions, classes: StoreClasses): Store {
  const namespace = options.namespace ?? defaults.namespace;
  const commandTimeoutMs = options.commandTimeoutMs ?? defaults.connectTimeoutMs;
  checkDelayedLayout(url, options.delayed);
  if (/^rediss?:\/\//.test(url) && classes.RedisStore) return new classes.RedisStore({ url, namespace, commandTimeoutMs, delayed: options.delayed });
  if (url.startsWith('sqlite:') && classes.SqliteStore) return classes.SqliteStore.open({ path: sqlitePathOf(url), busyTimeoutMs: commandTimeoutMs });
  throw new ConfigError(`store URL "${url}" is not supported: use redis://host:port, rediss://… or sqlite:./path/to/file.db`);
}
