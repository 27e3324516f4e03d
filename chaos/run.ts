// One chaos run against one store: a private redis-server (or a SQLite file in a temp dir),
// `workers` worker processes started through the CLI, a producer enqueueing `jobs` jobs, and a
// chaos loop that about every `tickMs` kill -9s a random started worker (every fourth tick
// SIGTERMs it instead) and starts a new one, and on Redis every other tick cuts every worker
// connection (normal and pub/sub). Then: kill -9 the survivors, start one clean worker, wait until queues,
// scheduled set and in-flight sets are empty, and account for every job (check.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createErrand, type AdminStore } from '../src/index.ts';
import { redisKeys } from '../src/storage/redis/keys.ts';
import { ChaosJob } from './jobs.ts';
import { check, type CheckResult } from './check.ts';
import { produce, type ProducerFigures } from './producer.ts';
import { RedisServer } from './redis-server.ts';
import { WorkerPool, type WorkerProcess } from './workers.ts';

export interface ChaosOptions {
  store: 'redis' | 'sqlite';
  jobs: number;
  workers: number;
  concurrency: number;
  /** How long the chaos loop runs; the producer spreads its jobs over 80 % of it. */
  chaosMs: number;
  tickMs?: number;
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The chaos run's Redis namespace. */
const NAMESPACE = 'chaos';

export interface Figures extends CheckResult, ProducerFigures {
  store: 'redis' | 'sqlite';
  jobs: number;
  concurrency: number;
  workersStarted: number;
  /** kill -9 during chaos, plus the survivors killed when chaos stopped. */
  kills: number;
  /** Jobs still in the in-flight sets of live, idle workers 15 s after the chaos stopped. */
  stranded: number;
  /** Jobs the chaos loop's kill -9 victims held (in flight) just before they were killed. */
  heldAtKills: number;
  sigterms: number;
  /** Jobs handed straight to an idle worker (Redis), as a listener on the hand-off channels heard them: a lower bound, since connection cuts hit it too. */
  handoffsSeen: number;
  /** Rounds of connection cuts, and connections cut in all. */
  cutRounds: number;
  connectionsCut: number;
  /** Workers that exited without being signalled, or exited non-zero after SIGTERM. */
  crashes: number;
  badStops: number;
  /** From the moment the survivors were killed and a clean worker started until all was settled. */
  drainMs: number;
  /** Per kill -9 during chaos: from the kill until the dead worker's jobs were handed back. */
  recoveryMedianMs: number | undefined;
  recoveryMaxMs: number | undefined;
  drained: boolean;
  dir: string;
}

export async function runChaos(options: ChaosOptions): Promise<Figures> {
  const log = options.log ?? (() => {});
  const tickMs = options.tickMs ?? 1_000;
  const dir = mkdtempSync(join(tmpdir(), `errand-chaos-${options.store}-`));
  const server = options.store === 'redis' ? await RedisServer.start() : undefined;
  const url = server ? server.url : `sqlite:${join(dir, 'errand.db')}`;
  const errand = createErrand({ url, namespace: NAMESPACE, jobs: [ChaosJob] });
  const admin = await errand.admin();
  const pool = new WorkerPool({ url, namespace: NAMESPACE, dir, concurrency: options.concurrency });
  let kills = 0, heldAtKills = 0, sigterms = 0, cutRounds = 0, connectionsCut = 0, stopping = false;
  const recoveries: Promise<number>[] = [];
  let handoffsSeen = 0;
  const listener = server ? new Redis(url) : undefined;
  listener?.on('error', () => {});
  listener?.on('pmessage', () => handoffsSeen++);
  try {
    await listener?.psubscribe(`${redisKeys(NAMESPACE).handoffChannel('')}*`);
    for (let i = 0; i < options.workers; i++) pool.spawn();
    await waitReady(pool, options.workers);
    const producing = produce(errand, options.jobs, options.chaosMs * 0.8, () => stopping);
    const chaosEnd = Date.now() + options.chaosMs;
    for (let tick = 1; Date.now() < chaosEnd; tick++) {
      await sleep(tickMs * (0.5 + Math.random()));
      const victim = pool.pick(300, 0);
      if (victim && tick % 4 === 0) {
        pool.signal(victim, 'SIGTERM');
        sigterms++;
        pool.spawn();
      } else if (victim) {
        heldAtKills += await heldBy(admin, victim.pid);
        pool.signal(victim, 'SIGKILL');
        kills++;
        recoveries.push(timeRecovery(admin, victim.pid));
        pool.spawn();
      }
      if (server && tick % 2 === 0) {
        connectionsCut += await cutConnections(errand);
        cutRounds++;
      }
    }
    const produced = await producing;
    log(`${options.store}: chaos over (${kills} kills, ${sigterms} SIGTERMs, ${connectionsCut} connections cut); letting the survivors finish`);
    // With the chaos stopped, the live workers must empty every queue and in-flight set on their
    // own. Jobs left in a live worker's in-flight set are stranded: no recovery looks at them.
    const stranded = (await waitDrained(admin, 15_000)) ? 0 : await strandedIn(admin, pool);
    if (stranded > 0) log(`${options.store}: ${stranded} job(s) stranded in live workers' in-flight sets; killing the survivors`);
    const survivors = pool.all.filter((w) => !w.exit && w.signalled !== 'SIGTERM').length;
    const drainStart = Date.now();
    await pool.killAll();
    kills += survivors;
    const clean = pool.spawn();
    const recoveryMs = (await Promise.all(recoveries)).sort((a, b) => a - b);
    const drained = await waitDrained(admin, options.drainTimeoutMs ?? 60_000);
    const drainMs = Date.now() - drainStart;
    log(`${options.store}: ${drained ? `drained in ${drainMs} ms` : `NOT drained after ${drainMs} ms`}`);
    await waitReady(pool, 1, clean); // SIGTERM before its handlers are installed would just kill it
    pool.signal(clean, 'SIGTERM');
    const patience = setTimeout(() => pool.signal(clean, 'SIGKILL'), 30_000);
    await clean.exited;
    clearTimeout(patience);
    stopping = true;
    const result = await check(dir, options.jobs, admin);
    return {
      store: options.store, jobs: options.jobs, concurrency: options.concurrency, workersStarted: pool.all.length,
      stranded, kills, heldAtKills, sigterms, handoffsSeen, cutRounds, connectionsCut, crashes: pool.crashed().length, badStops: pool.badStops().length,
      drainMs, drained, dir, ...produced, ...result,
      recoveryMedianMs: recoveryMs[Math.floor(recoveryMs.length / 2)], recoveryMaxMs: recoveryMs.at(-1),
    };
  } finally {
    stopping = true;
    await pool.killAll();
    listener?.disconnect();
    await errand.close();
    await server?.stop();
    if (process.env.CHAOS_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until `count` workers (or `which`) have started: a process boots in seconds. */
async function waitReady(pool: WorkerPool, count: number, which?: WorkerProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (which ? !pool.ready().includes(which) : pool.ready().length < count) {
    if (Date.now() > deadline) throw new Error('worker processes did not start within 60 s (see their logs in the run directory)');
    await sleep(100);
  }
}

/** How many jobs the worker process `pid` holds in flight right now. */
async function heldBy(admin: AdminStore, pid: number): Promise<number> {
  const workers = await admin.workers().catch(() => []);
  return workers.filter((w) => w.id.split(':')[1] === String(pid)).reduce((sum, w) => sum + w.inFlight, 0);
}

/** Jobs held in flight by worker processes that are running and were never signalled. */
async function strandedIn(admin: AdminStore, pool: WorkerPool): Promise<number> {
  const live = new Set(pool.live.map((w) => String(w.pid)));
  const workers = await admin.workers();
  return workers.filter((w) => live.has(w.id.split(':')[1]!)).reduce((sum, w) => sum + w.inFlight, 0);
}

/** Resolves with the ms from now until the killed worker `pid` is gone from the store (its jobs handed back). */
async function timeRecovery(admin: AdminStore, pid: number): Promise<number> {
  const start = Date.now();
  const mine = (id: string) => id.split(':')[1] === String(pid);
  while (Date.now() - start < 120_000) {
    const workers = await admin.workers().catch(() => undefined);
    if (workers && !workers.some((w) => mine(w.id))) break;
    await sleep(100);
  }
  return Date.now() - start;
}

/** Waits until no job is queued, scheduled or held by any worker. */
async function waitDrained(admin: AdminStore, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const stats = await admin.stats().catch(() => undefined);
    if (stats && stats.scheduled === 0 && stats.queues.every((q) => q.size === 0) && stats.workers.every((w) => w.inFlight === 0)) return true;
    await sleep(100);
  }
  return false;
}

/** Kills every client connection of the private Redis except the harness's own. */
async function cutConnections(errand: ReturnType<typeof createErrand>): Promise<number> {
  const redis = (await errand.store() as unknown as { redis: Redis }).redis;
  const mine = String(await redis.client('ID'));
  const list = String(await redis.client('LIST'));
  const ids = list.split('\n').map((line) => /^id=(\d+) /.exec(line)?.[1]).filter((id): id is string => id !== undefined && id !== mine);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.client('KILL', 'ID', id);
  await pipeline.exec();
  return ids.length;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
