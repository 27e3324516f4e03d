// The Redis store: Resque's key layout (keys.ts) changed only through the Lua scripts in
// ./scripts, one atomic change each. Lifecycle: connect lazily on first command; a worker's
// first reserve also starts the wake-up subscriber; close() ends both connections.
// Invariant: every method sends at most a few round trips however many jobs it moves.

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { StoreError } from '../../errors.ts';
import type {
  AdminStore, Control, HeartbeatChecks, Outcome, QueuedJob, RecoverOptions, RecoverResult, ReservedJob, ScheduledJob,
  SettleResult, Store, StoreSpec, WorkerRegistration, WorkerStatus,
} from '../types.ts';
import { resqueFailedAt } from '../resque-format.ts';
import { redisKeys, type RedisKeys } from './keys.ts';
import { commandName, loadScripts, type ScriptCall, type ScriptName } from './scripts.ts';
import { plainIdAllowed, suffixedInstanceId } from '../identity.ts';
import { queuesHoldWork, WakeListener } from './wake.ts';
import { settleCall } from './settle-call.ts';
import { heartbeatCall, pipelineScripts, registerCall, reserveCall, toReserved, type Park } from './start-calls.ts';
import { HandoffInboxes } from './handoff.ts';
import { countStoreReconnect } from '../incidents.ts';
import { callRedis } from './command-errors.ts';
import { EnqueueBatch } from '../enqueue-batch.ts';
import { pushBulk, pushEnqueueBatch, type EnqueueBatchDeps } from './enqueue-batch.ts';
import { scheduleAsResque, scheduleInErrand } from './schedule-write.ts';
import { RedisAdmin } from './admin.ts';
import { RedisSchedules } from './schedules.ts';
import type { ScheduleStore } from '../schedule-types.ts';

export interface RedisStoreOptions {
  url: string;
  namespace: string;
  /** A command that gets no answer within this long fails with StoreError instead of hanging. */
  commandTimeoutMs: number;
  /** Where schedule() writes delayed jobs: errand's scheduled set (default) or resque-scheduler's keys. */
  delayed?: DelayedLayout;
}

/** 'resque-scheduler': enqueueAt/enqueueIn write Ruby resque-scheduler's keys (retries stay in errand's set). */
export type DelayedLayout = 'errand' | 'resque-scheduler';

/** Lua's unpack() has a stack limit; batches stay well below it. */
const MAX_ARGS_PER_CALL = 4_000;
const REGISTER_COMMAND = commandName('register');
const RESERVE_COMMAND = commandName('reserve');
/** Single enqueues shared by one push.lua call at most (see enqueue-batch.ts). */
const MAX_ENQUEUE_BATCH = 1_000;
/** Poison-job death counts expire a week after the last death, so they cannot pile up. */
const DEATH_COUNT_TTL_S = 7 * 86_400;

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly announcesWithPush = true;
  readonly description: string;
  readonly keys: RedisKeys;
  readonly redis: Redis;
  readonly spec: StoreSpec;
  private readonly scripts: Record<ScriptName, ScriptCall>;
  private subscriber: Redis | undefined;
  private wake: WakeListener | undefined;
  private handoffs: HandoffInboxes | undefined;
  /** Scheduled members get `<processTag><counter>` as a unique tag (see keys.schedule). */
  private readonly processTag = randomBytes(6).toString('base64url');
  private scheduleCounter = 0;
  private requestCounter = 0;
  /** Per worker: the id of a reserve request that failed without a reply (see reserve()). */
  private readonly unansweredReserve = new Map<string, string>();
  private pushDeps: EnqueueBatchDeps | undefined;
  private adminStore: RedisAdmin | undefined;
  private scheduleStore: RedisSchedules | undefined;
  /**
   * Single enqueues of one event-loop turn, written as one push.lua call per queue. One write
   * in flight at a time (as settles): enqueues made meanwhile, from other requests' callbacks,
   * go together when it returns. Each socket write costs more than a round trip's wait here
   * (docs/performance.md), so under load this answers requests sooner, not later.
   */
  readonly enqueueBatch = new EnqueueBatch({
    write: (jobs) => pushEnqueueBatch((this.pushDeps ??= { redis: this.redis, keys: this.keys, push: this.scripts.push, call: (what, run) => this.call(what, run), description: this.description }), jobs),
    maxBatch: MAX_ENQUEUE_BATCH,
    maxInFlight: 1,
  });

  constructor(private readonly options: RedisStoreOptions) {
    this.keys = redisKeys(options.namespace);
    this.spec = { url: options.url, namespace: options.namespace, commandTimeoutMs: options.commandTimeoutMs };
    const url = new URL(options.url);
    this.description = `${url.protocol}//${url.hostname}:${url.port || 6379}${url.pathname.length > 1 ? url.pathname : ''} (namespace ${options.namespace})`;
    this.redis = new Redis(options.url, {
      lazyConnect: false,
      commandTimeout: options.commandTimeoutMs,
      maxRetriesPerRequest: 2,
      connectTimeout: options.commandTimeoutMs,
      retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
    });
    // Errors surface on the command that hit them; the connection-level event would only repeat them.
    this.redis.on('error', () => {});
    this.redis.on('reconnecting', () => countStoreReconnect('redis'));
    this.scripts = loadScripts(this.redis);
  }

  private call<T>(what: string, run: () => Promise<T>): Promise<T> {
    return callRedis(this.description, what, run);
  }

  async push(jobs: readonly QueuedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    // The common single enqueue: shares its round trip with the others of this turn, if any.
    if (jobs.length === 1) return this.enqueueBatch.add(jobs[0]!);
    // Single enqueues still pending go first, so one caller's jobs keep their order.
    this.enqueueBatch.flushNow();
    // Many jobs: Resque's own commands, pipelined (pushBulk says why not push.lua).
    await this.call('push', () => pushBulk(this.redis, this.keys, jobs, MAX_ARGS_PER_CALL));
  }

  async schedule(jobs: readonly ScheduledJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const deps = { redis: this.redis, keys: this.keys, scripts: this.scripts, maxArgs: MAX_ARGS_PER_CALL };
    // Each delayed member gets `<processTag><counter>` as its unique tag (see keys.schedule).
    const tag = () => `${this.processTag}${(this.scheduleCounter++).toString(36)}`;
    await this.call('schedule', () => (this.options.delayed === 'resque-scheduler' ? scheduleAsResque(deps, jobs) : scheduleInErrand(deps, jobs, tag)));
  }

  async register(worker: WorkerRegistration): Promise<string> {
    const { keys, args } = registerCall(this.keys, worker, suffixedInstanceId(worker.id), plainIdAllowed(worker.id), randomBytes(8).toString('hex'));
    return String(await this.call('register', () => this.scripts.register(keys, args)));
  }

  /**
   * register() and a first reserve() in one write: the reserve names the instance id the
   * registration will give unless a live instance holds it, and the registration's owner token,
   * so when the id went elsewhere it takes nothing (reserve.lua) and the worker reserves as usual.
   */
  async registerAndReserve(worker: WorkerRegistration, queues: readonly string[] | '*', max: number, startNow: number): Promise<{ instance: string; jobs: ReservedJob[] }> {
    const plain = plainIdAllowed(worker.id);
    const suffixed = suffixedInstanceId(worker.id);
    const hoped = plain ? worker.id : suffixed;
    const owner = randomBytes(8).toString('hex');
    const registration = registerCall(this.keys, worker, suffixed, plain, owner);
    const reserve = reserveCall(this.keys, hoped, queues, max, startNow, `${this.processTag}.${(this.requestCounter++).toString(36)}`, owner);
    const wake = this.wakeListener();
    wake.markReserving(hoped, queues);
    const replies = await this.call('register', () => pipelineScripts(this.redis, [[REGISTER_COMMAND, registration], [RESERVE_COMMAND, reserve]]));
    const [registered, reserved] = replies ?? [];
    if (!registered || registered[0]) throw new StoreError(`Redis register failed on ${this.description}: ${registered?.[0]?.message ?? 'no reply'}`, { cause: registered?.[0] });
    const instance = String(registered[1]);
    wake.start().catch(() => {});
    if (instance !== hoped) wake.forget(hoped);
    // The registration stands even when the reserve failed: the worker reserves again as usual,
    // and a batch whose reply was lost is still in this instance's in-flight set for recovery.
    const jobs = !reserved || reserved[0] ? [] : toReserved(reserved[1] as string[]);
    return { instance, jobs: this.handoffInboxes().fromReserve(instance, jobs) };
  }

  /**
   * A reserve that takes nothing, for a worker that then waits, parks it (once its hand-off
   * channel is up), so a job pushed next comes straight to it (handoff.ts); a job handed over
   * since the last call is given first, and without a round trip when the worker asks for jobs.
   */
  async reserve(workerId: string, queues: readonly string[] | '*', max: number, startNow = 0, parkIfEmpty = false): Promise<ReservedJob[]> {
    const wake = this.wakeListener();
    const inboxes = this.handoffInboxes();
    const handed = inboxes.takePending(workerId);
    if (handed.length > 0 && max > 0) return handed;
    wake.markReserving(workerId, queues);
    // A reserve whose reply never came keeps its request id, so the next call returns that
    // batch rather than stranding it (see reserve.lua).
    let request = this.unansweredReserve.get(workerId);
    if (!request) this.unansweredReserve.set(workerId, (request = `${this.processTag}.${(this.requestCounter++).toString(36)}`));
    const park: Park = parkIfEmpty && max > 0 && inboxes.canPark(workerId) ? (startNow > 0 ? 'start' : 'prefetch') : 'no';
    const delivered = inboxes.deliveredByMessage(workerId);
    const { keys, args } = reserveCall(this.keys, workerId, queues, max, startNow, request, '', park, delivered);
    const reply = this.call('reserve', () => this.scripts.reserve(keys, args));
    let flat: string[];
    try {
      flat = (await reply) as string[];
    } catch (error) {
      // Handed-over jobs taken above are not lost with the reply: give them back to the inbox.
      inboxes.restore(workerId, handed);
      throw error;
    }
    // The wake-up subscription (its own connection) comes up after the first reserve is
    // answered: a fresh worker's first jobs do not wait for its connect; a failure to subscribe
    // surfaces in the wait, which looks at the queues first (wake.ts).
    wake.start().catch(() => {});
    this.unansweredReserve.delete(workerId);
    const jobs = inboxes.fromReserve(workerId, toReserved(flat), delivered);
    return handed.length > 0 ? [...handed, ...jobs] : jobs;
  }

  /** Ends the worker's park (before a pause or a stop): returns the job handed to it meanwhile. */
  unpark(workerId: string, queues: readonly string[] | '*'): Promise<ReservedJob[]> {
    return this.reserve(workerId, queues, 0, 0);
  }

  async settle(workerId: string, outcomes: readonly Outcome[], startedUpTo = 0): Promise<SettleResult> {
    if (outcomes.length === 0) return { settled: 0 };
    const { keys, args } = settleCall(this.keys, workerId, outcomes, startedUpTo);
    const settled = await this.call('settle', () => this.scripts.settle(keys, args));
    return { settled: Number(settled) };
  }

  async release(workerId: string, tokens: readonly string[]): Promise<number> {
    if (tokens.length === 0) return 0;
    const released = await this.call('release', () =>
      this.scripts.release([this.keys.inflight(workerId), this.keys.queues], [this.keys.queuePrefix, this.keys.wakeChannel, ...tokens]),
    );
    return Number(released);
  }

  async heartbeat(workerId: string, status: WorkerStatus, checks: HeartbeatChecks = {}): Promise<Control> {
    const { keys, args } = heartbeatCall(this.keys, workerId, status, checks);
    const reply = await this.call('heartbeat', () => this.scripts.heartbeat(keys, args));
    const [known, paused, due, nextDueIn, work, storeNow] = reply as [number, number, number, number, number, number];
    // Declared dead: this instance id is done (the worker registers again under a new one).
    if (known !== 1) this.handoffs?.forget(workerId);
    return { known: known === 1, paused: paused === 1, maintenanceDue: due === 1, nextDueInMs: nextDueIn >= 0 ? nextDueIn : undefined, workWaiting: work === 1, storeNow };
  }

  async recover(options: RecoverOptions): Promise<RecoverResult> {
    const k = this.keys;
    // The scripts go out together: one round trip of waiting, not three. promote-delayed moves
    // the due jobs Ruby's resque-scheduler wrote (Resque.enqueue_at), as its own process would.
    const [reaped, [promoted, nextDueIn], [rubyPromoted, , rubyNextDueIn]] = await Promise.all([
      options.reapDead ? this.reap('dead', contactBound(options), options.maxDeaths, options.expiredForMs ?? 0) : { requeued: 0, poisoned: 0, deadWorkers: [] },
      this.call('promote', () => this.scripts.promote([k.schedule, k.queues, k.retrying], [options.promoteLimit, k.queuePrefix, k.wakeChannel])) as Promise<[number, number]>,
      this.call('promote-delayed', () =>
        this.scripts['promote-delayed']([k.delayedSchedule, k.queues], [options.promoteLimit, `${k.namespace}:`, k.wakeChannel]),
      ) as Promise<[number, number, number]>,
    ]);
    const dues = [nextDueIn, rubyNextDueIn].filter((ms) => ms >= 0);
    return { ...reaped, promoted: promoted + rubyPromoted, nextDueInMs: dues.length > 0 ? Math.min(...dues) : undefined };
  }

  private async reap(mode: 'dead' | 'self', target: string, maxDeaths: number, expiredForMs = 0) {
    const k = this.keys;
    const result = (await this.call('reap', () =>
      this.scripts.reap([k.leases, k.workers, k.heartbeats, k.failed, k.queues, k.failedCount], [`${k.namespace}:`, mode, target, maxDeaths, resqueFailedAt(), DEATH_COUNT_TTL_S, k.wakeChannel, Math.floor(expiredForMs)]),
    )) as (number | string)[];
    return { requeued: Number(result[0]), poisoned: Number(result[1]), deadWorkers: result.slice(2).map(String) };
  }

  async unregister(workerId: string): Promise<void> {
    await this.reap('self', workerId, Number.MAX_SAFE_INTEGER);
    this.wake?.forget(workerId);
    this.handoffs?.forget(workerId);
  }

  waitForWork(workerId: string, queues: readonly string[] | '*', timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.wakeListener().wait(workerId, queues, timeoutMs, signal);
  }

  private wakeListener(): WakeListener {
    if (!this.wake) {
      // lazyConnect: the connection opens with the subscription (see reserve()).
      this.subscriber = this.redis.duplicate({ commandTimeout: undefined, lazyConnect: true });
      this.subscriber.on('error', () => {});
      this.wake = new WakeListener(
        this.subscriber,
        this.keys.wakeChannel,
        (queues) => this.call('probe', () => queuesHoldWork(this.redis, this.keys, queues)),
        (channel, message) => this.handoffs?.onMessage(channel, message),
      );
    }
    return this.wake;
  }

  private handoffInboxes(): HandoffInboxes {
    return (this.handoffs ??= new HandoffInboxes(this.wakeListener(), this.keys.handoffChannel('')));
  }

  admin(): AdminStore {
    this.adminStore ??= new RedisAdmin(this.redis, this.keys, this.scripts, (what, run) => this.call(what, run));
    return this.adminStore;
  }

  schedules(): ScheduleStore {
    this.scheduleStore ??= new RedisSchedules(this.redis, this.keys, this.scripts, (what, run) => this.call(what, run));
    return this.scheduleStore;
  }

  async close(): Promise<void> {
    this.enqueueBatch.flushNow();
    this.wake?.close();
    await Promise.allSettled([closeConnection(this.redis), this.subscriber && closeConnection(this.subscriber)]);
  }
}

/** QUIT when connected (pending replies arrive first); otherwise just drop the socket, since QUIT on a broken connection rejects. */
async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}

/** reap.lua's bound on its clock for 'dead' mode: the latest store time it may reap at ('' = any). */
function contactBound(options: RecoverOptions): string {
  return options.contactAt === undefined ? '' : String(Math.floor(options.contactAt + (options.contactWithinMs ?? 0)));
}
