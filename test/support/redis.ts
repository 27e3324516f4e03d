// Test support: a unique Redis namespace per test and its cleanup, and polling for conditions
// (tests wait for a state, never for a fixed time).

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueNamespace(prefix = 'errand-test'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export async function deleteNamespace(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Wraps the store's connection so that the next script call it is armed for runs on Redis, then
 * fails on the client, as when the connection drops after Redis executed the command but before
 * its reply arrived. Returns the arming function, and whether the armed call went through.
 */
export function loseNextScriptReply(store: object): { arm(): void; readonly armed: boolean } {
  const redis = (store as unknown as { redis: Redis }).redis;
  const send = redis.sendCommand.bind(redis);
  let armed = false;
  redis.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    const reply = send(command, stream) as Promise<unknown>;
    if (!armed || !/^eval/i.test(command.name)) return reply;
    armed = false;
    return reply.then(() => { throw new Error('read ECONNRESET (reply lost on purpose)'); });
  }) as Redis['sendCommand'];
  return { arm: () => void (armed = true), get armed() { return armed; } };
}
