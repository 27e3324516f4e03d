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

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const namespace = options.namespace ?? defaults.namespace;
  const commandTimeoutMs = options.commandTimeoutMs ?? defaults.connectTimeoutMs;
  if (/^rediss?:\/\//.test(url)) {
    const { RedisStore } = await import('./redis/store.ts');
    return new RedisStore({ url, namespace, commandTimeoutMs });
  }
  if (url.startsWith('sqlite:')) {
    const { SqliteStore } = await import('./sqlite/store.ts');
    return SqliteStore.open({ path: sqlitePathOf(url), busyTimeoutMs: commandTimeoutMs });
  }
  throw new ConfigError(`store URL "${url}" is not supported: use redis://host:port, rediss://… or sqlite:./path/to/file.db`);
}
