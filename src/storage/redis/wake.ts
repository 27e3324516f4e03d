// Wake-ups for idle workers: one subscriber connection per store listens on the wake channel.
// Producers publish the queue name when a queue goes from empty to non-empty ('*' for "look
// everywhere", '@<ms>' for a job falling due that many ms from now). Lifecycle: start() as the
// worker registers, without holding up its first reserve; close() with the store.
// The race between "reserve found nothing" and "start waiting" is closed by a per-worker mark:
// any wake since that worker's last reserve makes its next wait return at once. A reserve that
// began before the subscription was active may have missed one: that worker's next wait first
// looks at its queues (`probe`) and returns at once if they hold jobs, so no announcement made
// after a reserve can be missed.
// The same connection carries the hand-off channels (handoff.ts): listen()/unlisten() add and
// drop them, their messages go to `onOther`, and wakeWorker() wakes one worker. When the
// connection comes back after a drop, every waiter is woken: messages published meanwhile were
// lost, and the reserve that follows finds what they announced.

import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.ts';

interface Waiter {
  workerId: string;
  queues: ReadonlySet<string> | '*';
  resolve: () => void;
  dueAt: number;
  timer: NodeJS.Timeout;
}

export class WakeListener {
  private readonly waiters = new Set<Waiter>();
  /** Per worker: the queues of its last reserve, and whether one of them was announced since. */
  private readonly marks = new Map<string, { queues: ReadonlySet<string> | '*'; woken: boolean }>();
  private started: Promise<void> | undefined;
  private subscribed = false;
  /** Workers whose last reserve began before the subscription was active. */
  private readonly unsure = new Set<string>();
  /** Earliest due time announced for a scheduled job; waits end then so it is promoted on time. */
  private nextDueAt = Infinity;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    /** Whether these queues may hold jobs now (true when it cannot tell cheaply). */
    private readonly probe: (queues: readonly string[] | '*') => Promise<boolean>,
    /** Messages of the other channels this connection listens to. */
    private readonly onOther: (channel: string, message: string) => void = () => {},
  ) {}

  start(): Promise<void> {
    if (!this.started) {
      const starting = (async () => {
        this.subscriber.on('message', (channel: string, message: string) => {
          if (channel === this.channel) this.onMessage(message);
          else this.onOther(channel, message);
        });
        await this.subscriber.subscribe(this.channel);
        this.subscribed = true;
        // Each later 'ready' is a reconnect (ioredis subscribes again by itself).
        this.subscriber.on('ready', () => this.wakeAll());
      })();
      this.started = starting;
      // A failed subscription is not kept: the next wait tries again.
      starting.catch(() => {
        this.subscriber.removeAllListeners('message');
        if (this.started === starting) this.started = undefined;
      });
    }
    return this.started;
  }

  /** Whether the subscription is up now (a message published now would arrive). */
  connected(): boolean {
    return this.subscribed && this.subscriber.status === 'ready';
  }

  /** Listens on one more channel of this connection; its messages go to `onOther`. */
  async listen(channel: string): Promise<void> {
    await this.start();
    await this.subscriber.subscribe(channel);
  }

  unlisten(channel: string): void {
    if (this.subscribed) this.subscriber.unsubscribe(channel).catch(() => {});
  }

  /** Wakes one worker: its wait returns now, or its next wait at once. */
  wakeWorker(workerId: string): void {
    const mark = this.marks.get(workerId);
    if (mark) mark.woken = true;
    for (const waiter of this.waiters) if (waiter.workerId === workerId) waiter.resolve();
  }

  private wakeAll(): void {
    for (const mark of this.marks.values()) mark.woken = true;
    for (const waiter of this.waiters) waiter.resolve();
  }

  /** Called as a reserve begins: from now on, wakes count for this worker. */
  markReserving(workerId: string, queues: readonly string[] | '*'): void {
    this.marks.set(workerId, { queues: queues === '*' ? '*' : new Set(queues), woken: false });
    if (this.subscribed) this.unsure.delete(workerId);
    else this.unsure.add(workerId);
  }

  async wait(workerId: string, queues: readonly string[] | '*', timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.start();
    if (this.unsure.delete(workerId) && (await this.probe(queues))) return;
    if (this.marks.get(workerId)?.woken || signal?.aborted) return;
    const now = Date.now();
    if (this.nextDueAt <= now) this.nextDueAt = Infinity;
    const dueAt = Math.min(now + timeoutMs, this.nextDueAt);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        workerId,
        queues: queues === '*' ? '*' : new Set(queues),
        dueAt,
        resolve: () => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', waiter.resolve);
          resolve();
        },
        timer: setTimeout(() => waiter.resolve(), dueAt - now),
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', waiter.resolve, { once: true });
    });
  }

  private onMessage(message: string): void {
    if (message.startsWith('@')) {
      // '@<ms>': a job falls due in that many ms, counted on Redis's clock from the publish.
      const dueAt = Date.now() + Number(message.slice(1));
      this.nextDueAt = Math.min(this.nextDueAt, dueAt);
      for (const waiter of this.waiters) {
        if (dueAt < waiter.dueAt) {
          clearTimeout(waiter.timer);
          waiter.dueAt = dueAt;
          waiter.timer = setTimeout(() => waiter.resolve(), Math.max(0, dueAt - Date.now()));
        }
      }
      return;
    }
    for (const mark of this.marks.values()) if (message === '*' || mark.queues === '*' || mark.queues.has(message)) mark.woken = true;
    for (const waiter of this.waiters) {
      if (message === '*' || waiter.queues === '*' || waiter.queues.has(message)) waiter.resolve();
    }
  }

  forget(workerId: string): void {
    this.marks.delete(workerId);
    this.unsure.delete(workerId);
  }

  close(): void {
    for (const waiter of this.waiters) waiter.resolve();
  }
}

/**
 * The probe for a wait whose reserve began before the subscription was active: whether any of
 * these queues holds jobs a reserve would take ('*': assumed so). A paused queue's jobs are
 * nobody's work: counting them would turn the wait into a busy poll until the resume (which
 * announces the queue).
 */
export async function queuesHoldWork(redis: Redis, keys: RedisKeys, queues: readonly string[] | '*'): Promise<boolean> {
  if (queues === '*' || queues.length === 0) return true;
  const pipeline = redis.pipeline();
  pipeline.smembers(keys.pausedQueues);
  for (const queue of queues) pipeline.llen(keys.queue(queue));
  const [paused, ...lengths] = (await pipeline.exec()) ?? [];
  if (!paused || paused[0]) return true;
  const pausedQueues = new Set((paused[1] as string[] | undefined) ?? []);
  return lengths.some(([error, length], i) => error !== null || (Number(length) > 0 && !pausedQueues.has(queues[i]!)));
}
