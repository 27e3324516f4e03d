// Every Redis key errand touches is built here. Resque's own keys keep Resque's names, so Ruby
// Resque and resque-web read errand's data; errand's additions live under `<ns>:errand:`.
// A namespace with a hash tag (`{resque}`) puts every key in one Redis Cluster slot.

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
  /** Hash token → payload of the jobs a worker holds. */
  inflight(workerId: string): string;
  readonly inflightPrefix: string;
  /** Sorted set worker id → last heartbeat (epoch ms): how dead workers are found. */
  readonly alive: string;
  /** Sorted set `tag\nqueue\npayload` → due time (epoch ms): delayed jobs and retries. The unique tag keeps identical payloads apart. */
  readonly schedule: string;
  /** Pub/sub channel announcing new work, so idle workers need not poll. */
  readonly wakeChannel: string;
  readonly deathsPrefix: string;
  /** Counter handing out in-flight tokens, unique across processes and restarts. */
  readonly tokenCounter: string;
  /** Prefix of per-queue, per-minute counters of finished attempts: `<prefix><queue>:<minute>`. */
  readonly donePrefix: string;
  /** Hash worker id → concurrency, read when it dies to blame only the jobs it was running. */
  readonly concurrency: string;
  /** A worker's last reserve request: `request-id first-token last-token`, so a resent reserve returns the same batch. */
  lastReserve(workerId: string): string;
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
    inflight: (workerId) => `${ns}:errand:inflight:${workerId}`,
    inflightPrefix: `${ns}:errand:inflight:`,
    alive: `${ns}:errand:alive`,
    schedule: `${ns}:errand:schedule`,
    wakeChannel: `${ns}:errand:wake`,
    deathsPrefix: `${ns}:errand:deaths:`,
    tokenCounter: `${ns}:errand:token`,
    concurrency: `${ns}:errand:concurrency`,
    donePrefix: `${ns}:errand:done:`,
    lastReserve: (workerId) => `${ns}:errand:reserve:${workerId}`,
  };
}
