// Redis helpers shared by the Redis-backed adapters: memory used, commands executed, and deleting
// one namespace's keys (never FLUSHALL: other test runs share this Redis).

import { Redis } from 'ioredis';
import { REDIS_URL } from './types.ts';

let admin: Redis | undefined;
function client(): Redis {
  admin ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  return admin;
}

/** INFO memory used_memory, in bytes. */
export async function redisUsedMemory(): Promise<number> {
  const info = await client().info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Total calls over every command (INFO commandstats counts commands run inside scripts too). */
export async function redisCommandCount(): Promise<number> {
  const info = await client().info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1]);
  return total;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK, so a 1M-job list goes at once). */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = client();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export async function closeRedisUtil(): Promise<void> {
  await admin?.quit();
  admin = undefined;
}
