// Every Redis key errand touches is built here. Resque's own keys keep Resque's names, so Ruby
// Resque and resque-web read errand's data; errand's additions live under `<ns>:errand:`.
// A namespace with a hash tag (`{resque}`) puts every key in one Redis Cluster slot.

/** First character of a retry's scheduled member tag: not in base64url, so no delayed job's tag starts with it. */
export const RETRY_TAG = '!';

export interface RedisKeys {
  readonly namespace: string;
  readonly queues: string;
  /** Prefix of queue lists; Lua scripts append the queue name. */
  readonly queuePrefix: string;
  queue(name: string): string;
  readonly failed: string;
  readonly workers: string;
  worker(id: string): string;
  workerStarted(id: string): string;
  readonly heartbeats: string;
  readonly processed: string;
  readonly failedCount: string;
  readonly pauseAll: string;
  /** Set of queue names workers skip (errand's per-queue pause; Ruby Resque workers ignore it). */
  readonly pausedQueues: string;
  /** Hash token → payload of the jobs a worker instance holds. */
  inflight(instanceId: string): string;
  readonly inflightPrefix: string;
  /**
   * Sorted set instance id → lease expiry (epoch ms, Redis TIME): how dead workers are found.
   * A new key (older errand versions scored last heartbeats in `errand:alive`), so a fleet
   * mid-upgrade never reads one kind of score as the other.
   */
  readonly leases: string;
  /** Hash of one instance: `resque` (the Resque id it shows), `lease` (ms), `concurrency`, `started` (watermark), `owner`, `parked`, `handoff`. */
  instance(instanceId: string): string;
  readonly instancePrefix: string;
  /** Set of the live instances showing one Resque id: its Resque keys go when the last one does. */
  instancesOf(resqueId: string): string;
  /**
   * Sorted set `tag\nqueue\npayload` → due time (epoch ms): delayed jobs and retries. The unique
   * tag keeps identical payloads apart; a retry's starts with `!` (RETRY_TAG), which no other tag
   * does, and `retrying` counts those members.
   */
  readonly schedule: string;
  /** How many members of `schedule` are retries (tag `!`): moved by every script that adds or removes one. */
  readonly retrying: string;
  /** Pub/sub channel announcing new work, so idle workers need not poll. */
  readonly wakeChannel: string;
  /**
   * Set of the instances parked on one queue: their last reserve took nothing, and push.lua may
   * hand a lone job straight to one of them (the instance hash's `parked` and `handoff` fields).
   */
  parked(queue: string): string;
  /** The parked set of instances that take from every queue ('*'). */
  readonly parkedAll: string;
  /** Pub/sub channel of one instance: the jobs handed to it (`token\nqueue\npayload`). */
  handoffChannel(instanceId: string): string;
  readonly deathsPrefix: string;
  /** Counter handing out in-flight tokens, unique across processes and restarts. */
  readonly tokenCounter: string;
  /** Prefix of per-queue, per-minute counters of finished attempts: `<prefix><queue>:<minute>`. */
  readonly donePrefix: string;
  /** An instance's last reserve request: `request-id first-token last-token handed`, where handed is the hand-off tokens it returned, comma-separated, or 0; so a resent reserve returns the same batch. */
  lastReserve(instanceId: string): string;
  /** Hash `field:class` → count of one metrics slot (see ../job-metrics.ts); expires with its grain. */
  metrics(grain: string, slot: number): string;
  /** Set of the recurring schedules' names any process declared. */
  readonly scheduleNames: string;
  /** Hash of one recurring schedule: def, created, cursor, paused, run_tick, run_at, job, job_queue, job_payload, outcome, seen. */
  scheduleRecord(name: string): string;
  /** resque-scheduler's delayed jobs: zset of epoch seconds, `delayed:<ts>` lists, `timestamps:<json>` reverse index sets. */
  readonly delayedSchedule: string;
  readonly delayedPrefix: string;
  readonly timestampsPrefix: string;
  /** Scratch list a bulk failed-list action rebuilds the list into, renamed over `failed` at its end. */
  readonly failedRebuild: string;
  /** Failed entries a filtered retry-all took off the list, until their jobs are pushed (see failed-filter.lua). */
  readonly failedStaging: string;
  /** Pub/sub channel of one queue's job lifecycle events (a JSON array per message). */
  eventsChannel(queue: string): string;
  /** Present (with a TTL its subscribers renew) while anyone subscribes to that queue's events. */
  eventListeners(queue: string): string;
}

export function redisKeys(namespace: string): RedisKeys {
  const ns = namespace;
  return {
    namespace: ns,
    queues: `${ns}:queues`,
    queuePrefix: `${ns}:queue:`,
    queue: (name) => `${ns}:queue:${name}`,
    failed: `${ns}:failed`,
    workers: `${ns}:workers`,
    worker: (id) => `${ns}:worker:${id}`,
    workerStarted: (id) => `${ns}:worker:${id}:started`,
    heartbeats: `${ns}:workers:heartbeat`,
    processed: `${ns}:stat:processed`,
    failedCount: `${ns}:stat:failed`,
    pauseAll: `${ns}:pause-all-workers`,
    pausedQueues: `${ns}:errand:paused-queues`,
    inflight: (instanceId) => `${ns}:errand:inflight:${instanceId}`,
    inflightPrefix: `${ns}:errand:inflight:`,
    leases: `${ns}:errand:leases`,
    instance: (instanceId) => `${ns}:errand:instance:${instanceId}`,
    instancePrefix: `${ns}:errand:instance:`,
    instancesOf: (resqueId) => `${ns}:errand:instances:${resqueId}`,
    schedule: `${ns}:errand:schedule`,
    retrying: `${ns}:errand:retrying`,
    wakeChannel: `${ns}:errand:wake`,
    parked: (queue) => `${ns}:errand:parked:${queue}`,
    parkedAll: `${ns}:errand:parked-all`,
    handoffChannel: (instanceId) => `${ns}:errand:handoff:${instanceId}`,
    metrics: (grain, slot) => `${ns}:errand:metrics:${grain}:${slot}`,
    deathsPrefix: `${ns}:errand:deaths:`,
    tokenCounter: `${ns}:errand:token`,
    donePrefix: `${ns}:errand:done:`,
    lastReserve: (instanceId) => `${ns}:errand:reserve:${instanceId}`,
    scheduleNames: `${ns}:errand:schedules`,
    scheduleRecord: (name) => `${ns}:errand:schedules:${name}`,
    delayedSchedule: `${ns}:delayed_queue_schedule`,
    delayedPrefix: `${ns}:delayed:`,
    timestampsPrefix: `${ns}:timestamps:`,
    failedRebuild: `${ns}:errand:failed-rebuild`,
    failedStaging: `${ns}:errand:failed-staging`,
    eventsChannel: (queue) => `${ns}:errand:events:${queue}`,
    eventListeners: (queue) => `${ns}:errand:listening:${queue}`,
  };
}
