// Job lifecycle events over Redis pub/sub, one channel per queue (keys.eventsChannel). A
// subscriber holds its own connection, SUBSCRIBEs to its queues' channels and keeps a key per
// queue (keys.eventListeners) alive with a TTL it renews. Publishers (every producer and worker
// process on this store) know which of the queues they touched are listened to from one MGET of
// those keys every LEARN_MS while they are busy (none while idle), so with no subscriber
// anywhere they publish nothing and the hot path pays a map read. A subscriber that starts is heard from within LEARN_MS; one that stops
// deletes its keys when nobody else is subscribed, or they expire after LISTEN_TTL_MS.
// Lifecycle: made on first use per store (storage/events.ts); close() with the store.

import { ListenerLearning } from '../listener-learning.ts';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.ts';
import type { EventTransport, WireEvent } from '../event-types.ts';

/** How often a publishing process re-reads which of its queues are listened to. */
export const LEARN_MS = 2_000;
/** A subscriber's key outlives it by at most this long (a crashed subscriber cannot renew it). */
const LISTEN_TTL_MS = 10_000;
const RENEW_MS = 3_000;

export class RedisEvents implements EventTransport {
  private readonly learning: ListenerLearning;

  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {
    this.learning = new ListenerLearning(async (queues) => (await this.redis.mget(queues.map(this.keys.eventListeners))).map((found) => found !== null), LEARN_MS);
  }

  listening(queue: string): boolean {
    return this.learning.listening(queue);
  }

  publish(queue: string, events: readonly WireEvent[]): void {
    this.redis.publish(this.keys.eventsChannel(queue), JSON.stringify(events)).catch(() => {});
  }

  async subscribe(queues: readonly string[], deliver: (events: readonly WireEvent[]) => void): Promise<() => Promise<void>> {
    const channels = new Map(queues.map((queue) => [this.keys.eventsChannel(queue), queue]));
    const subscriber = this.redis.duplicate({ commandTimeout: undefined });
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, message: string) => {
      if (!channels.has(channel)) return;
      let events: unknown;
      try {
        events = JSON.parse(message);
      } catch {
        return;
      }
      if (Array.isArray(events)) deliver(events as WireEvent[]);
    });
    await subscriber.subscribe(...channels.keys());
    const announce = async () => {
      const pipeline = this.redis.pipeline();
      for (const queue of queues) pipeline.set(this.keys.eventListeners(queue), '1', 'PX', LISTEN_TTL_MS);
      await pipeline.exec();
    };
    await announce();
    for (const queue of queues) this.learning.set(queue, true); // publishers in this process need not wait
    const renew = setInterval(() => void announce().catch(() => {}), RENEW_MS).unref();
    return async () => {
      clearInterval(renew);
      await subscriber.quit().catch(() => subscriber.disconnect());
      // Nobody else subscribed: publishers stop at their next look instead of after the TTL.
      const counts = (await this.redis.pubsub('NUMSUB', ...channels.keys()).catch(() => [])) as (string | number)[];
      const idle = queues.filter((queue) => Number(counts[counts.indexOf(this.keys.eventsChannel(queue)) + 1] ?? 1) === 0);
      if (idle.length > 0) await this.redis.del(...idle.map(this.keys.eventListeners)).catch(() => {});
      for (const queue of idle) this.learning.set(queue, false);
    };
  }

  close(): void {
    this.learning.close();
  }
}
