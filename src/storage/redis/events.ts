// Job lifecycle events over Redis pub/sub, one channel per queue (keys.eventsChannel). A
// subscriber holds its own connection, SUBSCRIBEs to its queues' channels and keeps a key per
// queue (keys.eventListeners) alive with a TTL it renews. Publishers (every producer and worker
// process on this store) know which of the queues they touched are listened to from one MGET of
// those keys every LEARN_MS while they are busy (none while idle), so with no subscriber
// anywhere they publish nothing and the hot path pays a map read. A subscriber that starts is heard from within LEARN_MS; one that stops
// deletes its keys when nobody else is subscribed, or they expire after LISTEN_TTL_MS.
// Lifecycle: made on first use per store (storage/events.ts); close() with the store.

import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.ts';
import type { EventTransport, WireEvent } from '../event-types.ts';

/** How often a publishing process re-reads which of its queues are listened to. */
export const LEARN_MS = 2_000;
/** A subscriber's key outlives it by at most this long (a crashed subscriber cannot renew it). */
const LISTEN_TTL_MS = 10_000;
const RENEW_MS = 3_000;

export class RedisEvents implements EventTransport {
  private readonly known = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private learning = false;
  /** Whether listening() was called since the last round. */
  private asked = false;
  private closed = false;

  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  listening(queue: string): boolean {
    this.asked = true;
    const state = this.known.get(queue);
    if (state !== undefined) {
      if (!this.timer) this.startLearning();
      return state;
    }
    this.known.set(queue, false);
    // A queue seen for the first time is looked up at once, then with the others.
    this.startLearning();
    return false;
  }

  /**
   * Looks up now, then every LEARN_MS while anything asks; a round with no ask since the last one
   * stops the timer, so an idle process sends nothing and is not woken (the next ask restarts it).
   */
  private startLearning(): void {
    setImmediate(() => void this.learn());
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (!this.asked) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      this.asked = false;
      void this.learn();
    }, LEARN_MS).unref();
  }

  private async learn(): Promise<void> {
    if (this.learning || this.closed) return;
    this.learning = true;
    try {
      const queues = [...this.known.keys()];
      const found = await this.redis.mget(queues.map(this.keys.eventListeners));
      queues.forEach((queue, i) => this.known.set(queue, found[i] !== null));
    } catch {
      // Store unreachable: keep what was known; the next round tries again.
    } finally {
      this.learning = false;
    }
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
    for (const queue of queues) this.known.set(queue, true); // publishers in this process need not wait
    const renew = setInterval(() => void announce().catch(() => {}), RENEW_MS).unref();
    return async () => {
      clearInterval(renew);
      await subscriber.quit().catch(() => subscriber.disconnect());
      // Nobody else subscribed: publishers stop at their next look instead of after the TTL.
      const counts = (await this.redis.pubsub('NUMSUB', ...channels.keys()).catch(() => [])) as (string | number)[];
      const idle = queues.filter((queue) => Number(counts[counts.indexOf(this.keys.eventsChannel(queue)) + 1] ?? 1) === 0);
      if (idle.length > 0) await this.redis.del(...idle.map(this.keys.eventListeners)).catch(() => {});
      for (const queue of idle) this.known.set(queue, false);
    };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }
}
