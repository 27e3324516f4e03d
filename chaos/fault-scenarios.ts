// The six liveness fault scenarios of issue #10 (container restart, CPU-bound job, store freeze,
// clock skew, invalid retry option, rolling deploy), shared by test/liveness-faults.test.ts (small
// sizes, asserted) and `npm run faults` (chaos/faults.ts: the issue's full sizes, printed as the
// figures of docs/guarantees.md). Each scenario drives real `errand work` processes through the
// CLI and returns counts: jobs done, runs per job, poison and other failed entries, and one
// recovery time. What ran is read from the run records of test/fixtures/fault-jobs.ts (one
// "start"/"end" line per run, labelled with the worker process that ran it), what the store
// holds through the public admin API, so nothing here depends on the store's key layout or on
// how workers name themselves. Scenarios do not throw on a broken promise: they wait up to a
// limit and report what they saw, so a failing run still yields its figures. They throw only
// when they cannot be set up (a worker that does not start).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createErrand, type AdminStore, type Errand } from '../src/index.ts';
import { FaultCpu, FaultSleep } from '../test/fixtures/fault-jobs.ts';
import { ERRAND, jobFile } from '../test/support/errand-bin.ts';
import { FaultDeployed } from '../test/fixtures/fault-deploy-jobs.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

const FIXTURES = join(ROOT, 'test', 'fixtures');
export const FAULT_JOBS = jobFile(join(FIXTURES, 'fault-jobs.ts'));
export const DEPLOY_JOBS = jobFile(join(FIXTURES, 'fault-deploy-jobs.ts'));
export const BAD_RETRY_JOBS = join(FIXTURES, 'fault-bad-retry.mjs');
export const SKEW_CLOCK = join(FIXTURES, 'skew-clock.mjs');
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
/** Every fault job runs on this queue, always named with --queues (the default queue list may change). */
export const QUEUE = 'faults';
/** Private redis-servers (the freeze scenario) take a port from this range. */
const PRIVATE_PORTS = [6390, 6391, 6392, 6393, 6394, 6395, 6396, 6397, 6398, 6399];

export type StoreKind = 'redis' | 'sqlite';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it is truthy (true) or `timeoutMs` passed (false). Errors count as not yet. */
export async function waitUntil(check: () => unknown, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // a store call failing (e.g. during an outage) means "not yet"
    }
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Worker processes

export interface WorkerSpec {
  /** Names the process in run records (ERRAND_FAULT_LABEL) and its log file. */
  label: string;
  /** --require files (default: fault-jobs.ts). */
  files?: readonly string[];
  concurrency?: number;
  /** --dead-after; left out, the worker runs on the default. */
  deadAfter?: string | undefined;
  /** A `node --import` preload (the skew-clock fixture). */
  preload?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Run as PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc`), as a container
   * runtime does: every incarnation gets the same pid, hence the same Resque worker id.
   */
  pidNamespace?: boolean;
}

/** One `errand work` process a rig spawned. */
export class FaultWorker {
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
  readyAt: number | undefined;
  private nodePid: number | undefined;

  constructor(readonly label: string, readonly child: ChildProcess, readonly log: string, readonly inPidNamespace: boolean) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      resolve();
    }));
    if (!inPidNamespace) this.nodePid = child.pid;
  }

  /** The log so far (stdout and stderr of the process). */
  output(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '';
  }

  /** True once the worker logged "worker started" (registered, taking jobs). */
  ready(): boolean {
    if (this.readyAt === undefined && this.output().includes('"msg":"worker started"')) this.readyAt = Date.now();
    return this.readyAt !== undefined;
  }

  /** Waits until the worker started, or exited, or `timeoutMs` passed; true when it started. */
  async started(timeoutMs = 60_000): Promise<boolean> {
    await waitUntil(() => this.ready() || this.exit !== undefined, timeoutMs);
    return this.ready() && this.exit === undefined;
  }

  /** The node process's pid as seen from here (under unshare, the forked child of unshare). */
  async pid(): Promise<number | undefined> {
    if (this.nodePid !== undefined || this.exit) return this.nodePid;
    const parent = this.child.pid!;
    await waitUntil(() => {
      const text = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim();
      if (text) this.nodePid = Number(text.split(/\s+/)[0]);
      return this.nodePid !== undefined;
    }, 10_000, 20);
    return this.nodePid;
  }

  /** Signals the node process (not unshare), by pid, unless it has exited. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const pid = await this.pid();
    if (pid === undefined || this.exit) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  /** Lines of its JSON log with this `msg`. */
  logLines(msg: string): Record<string, unknown>[] {
    const found: Record<string, unknown>[] = [];
    for (const line of this.output().split('\n')) {
      if (!line.includes(`"msg":"${msg}"`)) continue;
      try {
        found.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a JSON line
      }
    }
    return found;
  }
}

// ---------------------------------------------------------------------------------------------
// Run records

export interface RunRecord {
  readonly event: 'start' | 'end';
  readonly key: string;
  readonly label: string;
  readonly pid: number;
  /** Real wall-clock ms (fault-jobs.ts reads it past any patched Date). */
  readonly at: number;
}

export function readRecords(file: string): RunRecord[] {
  if (!existsSync(file)) return [];
  const records: RunRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [event, key, label, pid, at] = line.split(' ');
    if ((event === 'start' || event === 'end') && key && label) records.push({ event, key, label, pid: Number(pid), at: Number(at) });
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// A private redis-server whose process can be frozen (SIGSTOP) and thawed (SIGCONT)

export class PrivateRedis {
  private constructor(readonly port: number, readonly dir: string, readonly child: ChildProcess, readonly exited: Promise<void>) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    for (const port of PRIVATE_PORTS) {
      if (!(await portFree(port))) continue;
      const dir = mkdtempSync(join(tmpdir(), 'errand-fault-redis-'));
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
        '--daemonize', 'no', '--logfile', join(dir, 'redis.log')], { stdio: 'ignore' });
      let gone = false;
      const exited = new Promise<void>((resolve) => child.once('exit', () => {
        gone = true;
        resolve();
      }));
      const server = new PrivateRedis(port, dir, child, exited);
      const probe = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      const up = await waitUntil(async () => {
        if (gone) return true;
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG';
      }, 10_000, 50).finally(() => probe.disconnect());
      if (up && !gone) return server;
      await server.stop(); // lost the port to someone else: try the next one
    }
    throw new Error(`no free port for a private redis-server in ${PRIVATE_PORTS[0]}-${PRIVATE_PORTS.at(-1)}`);
  }

  /** SIGSTOP: the server stops answering, every connection stays open (a failover, a long fork). */
  freeze(): void {
    this.child.kill('SIGSTOP');
  }

  thaw(): void {
    this.child.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGCONT');
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------------------------
// A scenario's world: a store of its own, a run-record file, the workers it spawned

export class FaultRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'errand-fault-'));
  readonly records = join(this.dir, 'runs.txt');
  readonly namespace = `errand-fault-${randomBytes(6).toString('hex')}`;
  readonly url: string;
  readonly workers: FaultWorker[] = [];
  private errand: Errand | undefined;

  constructor(readonly store: StoreKind, redisUrl = REDIS_URL) {
    this.url = store === 'redis' ? redisUrl : `sqlite:${join(this.dir, 'errand.db')}`;
  }

  /** The client this process enqueues and inspects through (opened first, so the schema exists before any worker). */
  client(): Errand {
    this.errand ??= createErrand({ url: this.url, namespace: this.namespace, jobs: [FaultSleep, FaultCpu, FaultDeployed] });
    return this.errand;
  }

  async admin(): Promise<AdminStore> {
    return this.client().admin();
  }

  /** Pushes raw Resque payloads (`{"class":…,"args":[…]}`) for jobs this process does not define. */
  async pushRaw(name: string, argsList: readonly unknown[][]): Promise<void> {
    const store = await this.client().store();
    await store.push(argsList.map((args) => ({ queue: QUEUE, payload: JSON.stringify({ class: name, args }) })));
  }

  spawnWorker(spec: WorkerSpec): FaultWorker {
    const log = join(this.dir, `${spec.label}.log`);
    const fd = openSync(log, 'a');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['ERRAND_URL', 'REDIS_URL', 'QUEUE', 'QUEUES', 'INTERVAL', 'COUNT', 'VERBOSE', 'VVERBOSE', 'ERRAND_INLINE']) delete env[name];
    Object.assign(env, { ERRAND_FAULT_OUT: this.records, ERRAND_FAULT_LABEL: spec.label }, spec.env);
    const nodeArgs = [...(spec.preload ? ['--import', pathToFileURL(spec.preload).href] : []), ...ERRAND, 'work',
      ...(spec.files ?? [FAULT_JOBS]).flatMap((file) => ['--require', file]),
      '--queues', QUEUE, '--concurrency', String(spec.concurrency ?? 1),
      ...(spec.deadAfter === undefined ? [] : ['--dead-after', spec.deadAfter]),
      '--url', this.url, ...(this.store === 'redis' ? ['--namespace', this.namespace] : [])];
    // --kill-child: if unshare itself is killed, its child (our PID 1) goes with it.
    const [command, args] = spec.pidNamespace
      ? ['unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
    const child = spawn(command, args as string[], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const worker = new FaultWorker(spec.label, child, log, spec.pidNamespace === true);
    this.workers.push(worker);
    return worker;
  }

  runs(): RunRecord[] {
    return readRecords(this.records);
  }

  /** Keys with at least one finished run. */
  doneKeys(): Set<string> {
    return new Set(this.runs().filter((r) => r.event === 'end').map((r) => r.key));
  }

  /** The failed list, each entry's exception and the key (first arg) of its job. */
  async failedEntries(): Promise<{ exception: string; key: string | undefined; error: string }[]> {
    const admin = await this.admin();
    const entries = await admin.failed(0, 10_000);
    return entries.map(({ entry }) => {
      const payload = entry?.payload as { args?: unknown[] } | undefined;
      const key = payload?.args?.[0];
      return { exception: String(entry?.exception ?? '?'), key: typeof key === 'string' ? key : undefined, error: String(entry?.error ?? '') };
    });
  }

  /** Nothing queued, scheduled or held by any worker. */
  async drained(): Promise<boolean> {
    const stats = await (await this.admin()).stats();
    return stats.scheduled === 0 && stats.queues.every((q) => q.size === 0) && stats.workers.every((w) => w.inFlight === 0);
  }

  /**
   * Waits until every key has finished a run, or every key not finished sits in the failed list
   * (nothing will run it any more), or `timeoutMs` passed; then, briefly, for the store to drain.
   * The store is asked at most once a second (call this only while it answers).
   */
  async settle(keys: readonly string[], timeoutMs: number): Promise<void> {
    let lastAsked = 0;
    await waitUntil(async () => {
      const done = this.doneKeys();
      if (keys.every((key) => done.has(key))) return true;
      if (Date.now() - lastAsked < 1_000) return false;
      lastAsked = Date.now();
      const failed = new Set((await this.failedEntries()).map((entry) => entry.key));
      return keys.every((key) => done.has(key) || failed.has(key));
    }, timeoutMs, 100);
    await waitUntil(() => this.drained(), 10_000, 200);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(async (worker) => {
      await worker.signal('SIGKILL');
      if (worker.exit === undefined) worker.child.kill('SIGKILL');
      await worker.exited;
    }));
    await this.errand?.close().catch(() => {});
    if (this.store === 'redis' && this.url === REDIS_URL) await deleteNamespace(this.url, this.namespace);
    if (process.env.FAULTS_KEEP !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

async function deleteNamespace(url: string, namespace: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
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

// ---------------------------------------------------------------------------------------------
// Figures

export type ScenarioId = 'restart' | 'cpu' | 'freeze' | 'skew' | 'deploy';

export interface FaultFigures {
  readonly id: ScenarioId;
  readonly scenario: string;
  readonly store: StoreKind;
  readonly params: Readonly<Record<string, string | number>>;
  readonly jobs: number;
  /** Jobs with at least one finished run. */
  readonly done: number;
  readonly notDone: readonly string[];
  /** Runs (perform started) of the job that ran most often. */
  readonly runsMax: number;
  /** Jobs that started more than once, and the runs beyond the first summed. */
  readonly duplicated: readonly string[];
  readonly extraRuns: number;
  /** Failed entries that are PoisonJobError, and every failed entry by exception. */
  readonly poison: number;
  readonly failed: number;
  readonly failedByException: Readonly<Record<string, number>>;
  /** Failed entries of jobs that also finished a run: a succeeded job in the failed list. */
  readonly failedButDone: number;
  /** The store holds nothing any more (queued, scheduled, in flight). */
  readonly drained: boolean;
  readonly recoveryMs: number | undefined;
  /** What recoveryMs measures in this scenario. */
  readonly recoveryOf: string;
  /**
   * Dead workers the workers' own logs report reaping (a healthy run of these faults has 0). A
   * lower bound: a recovery whose reply was lost (a command that timed out during a freeze but
   * ran when the store came back) reaps without being logged.
   */
  readonly reaped: number;
  readonly runs: ReadonlyMap<string, readonly RunRecord[]>;
  readonly elapsedMs: number;
  /** Scenario-specific facts (see each scenario). */
  readonly details: Readonly<Record<string, unknown>>;
}

async function figures(rig: FaultRig, base: { id: ScenarioId; scenario: string; params: Record<string, string | number>; keys: readonly string[]; startedAt: number;
  recoveryMs: number | undefined; recoveryOf: string; details?: Record<string, unknown> }): Promise<FaultFigures> {
  const runs = new Map<string, RunRecord[]>(base.keys.map((key) => [key, []]));
  for (const record of rig.runs()) runs.get(record.key)?.push(record);
  const starts = (key: string) => runs.get(key)!.filter((r) => r.event === 'start').length;
  const done = rig.doneKeys();
  const failed = await rig.failedEntries().catch(() => []);
  const failedByException: Record<string, number> = {};
  for (const entry of failed) failedByException[entry.exception] = (failedByException[entry.exception] ?? 0) + 1;
  const duplicated = base.keys.filter((key) => starts(key) > 1);
  const reaped = rig.workers.reduce((sum, w) => sum + w.logLines('recovered the jobs of dead workers')
    .reduce((n, line) => n + (Array.isArray(line.deadWorkers) ? line.deadWorkers.length : 1), 0), 0);
  return {
    id: base.id, scenario: base.scenario, store: rig.store, params: base.params, jobs: base.keys.length,
    done: base.keys.filter((key) => done.has(key)).length, notDone: base.keys.filter((key) => !done.has(key)),
    runsMax: Math.max(0, ...base.keys.map(starts)), duplicated, extraRuns: duplicated.reduce((sum, key) => sum + starts(key) - 1, 0),
    poison: failedByException.PoisonJobError ?? 0, failed: failed.length, failedByException,
    failedButDone: failed.filter((entry) => entry.key !== undefined && done.has(entry.key)).length,
    drained: await rig.drained().catch(() => false),
    recoveryMs: base.recoveryMs, recoveryOf: base.recoveryOf, reaped, runs, elapsedMs: Date.now() - base.startedAt, details: base.details ?? {},
  };
}

const keysFor = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Starts workers and waits for all of them; throws when one cannot start (a scenario precondition, not a fault). */
async function startAll(rig: FaultRig, specs: readonly WorkerSpec[]): Promise<FaultWorker[]> {
  const workers = specs.map((spec) => rig.spawnWorker(spec));
  for (const worker of workers) {
    if (!(await worker.started())) throw new Error(`worker ${worker.label} did not start: ${worker.output().slice(-600)}`);
  }
  return workers;
}

async function withRig<T>(store: StoreKind, body: (rig: FaultRig) => Promise<T>, redisUrl?: string): Promise<T> {
  const rig = new FaultRig(store, redisUrl);
  try {
    await rig.admin(); // opens the store (SQLite: creates the schema) before any worker does
    return await body(rig);
  } finally {
    await rig.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Container restart: kill -9 of PID 1, restarted as PID 1 again (same Resque worker id)

export interface RestartParams {
  jobs: number;
  concurrency: number;
  jobMs: number;
  deadAfter: string | undefined;
  /** How long to wait for every job after the restart. */
  waitMs: number;
}

/**
 * One worker, PID 1 of its own PID namespace, runs slow jobs at `concurrency`; once it runs
 * `concurrency` of them it is killed -9 and at once restarted the same way, so the new process
 * has the same host, pid and queues. details: `pids` (the pids jobs saw: [1] when both
 * incarnations were PID 1), `interrupted` (keys the killed one was running), `unfinishedByKilled`
 * (how many keys it had not finished), `duplicatesNotStartedByKilled` (keys run twice that it had
 * never started: only held, so they must run once).
 * recoveryMs: kill -9 until the restarted process logged recovering the killed one's jobs (else
 * until every job it was running had started again: details.rerunAfterMs, which also counts
 * waiting for a free slot); details.successorBootMs: kill -9 until the restarted one started.
 */
export async function containerRestart(store: StoreKind, p: RestartParams): Promise<FaultFigures> {
  return withRig(store, async (rig) => {
    const startedAt = Date.now();
    const spec = { concurrency: p.concurrency, deadAfter: p.deadAfter, pidNamespace: true };
    const [first] = await startAll(rig, [{ label: 'first', ...spec }]);
    const keys = keysFor('restart-', p.jobs);
    await rig.client().enqueueBulk(FaultSleep, keys.map((key) => [key, p.jobMs] as [string, number]));
    const running = () => rig.runs().filter((r) => r.event === 'start' && r.label === 'first').length;
    if (!(await waitUntil(() => running() >= p.concurrency, 30_000))) throw new Error(`the first worker never ran ${p.concurrency} jobs at once`);
    await first!.signal('SIGKILL');
    const killedAt = Date.now();
    await first!.exited;
    const firstRuns = rig.runs().filter((r) => r.label === 'first');
    const finished = new Set(firstRuns.filter((r) => r.event === 'end').map((r) => r.key));
    const interrupted = [...new Set(firstRuns.filter((r) => r.event === 'start' && !finished.has(r.key)).map((r) => r.key))];
    const second = rig.spawnWorker({ label: 'second', ...spec });
    if (!(await second.started())) throw new Error(`the restarted worker did not start: ${second.output().slice(-600)}`);
    let rerunAt: number | undefined;
    await waitUntil(() => {
      const again = rig.runs().filter((r) => r.event === 'start' && r.label === 'second' && interrupted.includes(r.key));
      if (new Set(again.map((r) => r.key)).size === interrupted.length) rerunAt = Math.max(...again.map((r) => r.at));
      return rerunAt !== undefined;
    }, p.waitMs);
    await rig.settle(keys, rerunAt === undefined ? 1_000 : p.waitMs);
    // The recovery itself, as the successor logs it (its clock is true); the reruns may wait
    // behind jobs it took from the queue meanwhile, so they only bound the recovery from above.
    const recovered = second.logLines('recovered the jobs of dead workers').map((line) => Number(line.time)).find((at) => at >= killedAt);
    const result = await figures(rig, {
      id: 'restart', scenario: 'container restart', params: { jobs: p.jobs, concurrency: p.concurrency, jobMs: p.jobMs, deadAfter: p.deadAfter ?? 'default' }, keys, startedAt,
      recoveryMs: recovered !== undefined ? recovered - killedAt : rerunAt === undefined ? undefined : Math.max(0, rerunAt - killedAt),
      recoveryOf: recovered !== undefined ? 'kill -9 until the restarted process logged recovering its jobs' : 'kill -9 until every job the killed process was running had started again',
      details: {
        rerunAfterMs: rerunAt === undefined ? undefined : Math.max(0, rerunAt - killedAt),
        successorBootMs: second.readyAt === undefined ? undefined : second.readyAt - killedAt,
        pids: [...new Set(rig.runs().map((r) => r.pid))],
        interrupted,
        unfinishedByKilled: keys.filter((key) => !finished.has(key)).length,
      },
    });
    // kill -9 duplicates: a job the killed process had started may run again, whether it was
    // still running or had finished without its outcome reaching the store. No other job may.
    const startedByKilled = new Set(firstRuns.filter((r) => r.event === 'start').map((r) => r.key));
    const duplicatesNotStartedByKilled = result.duplicated.filter((key) => !startedByKilled.has(key));
    return { ...result, details: { ...result.details, duplicatesNotStartedByKilled } };
  });
}

// ---------------------------------------------------------------------------------------------
// 2. CPU-bound job: the event loop is blocked longer than --dead-after

export interface CpuParams {
  jobs: number;
  cpuMs: number;
  deadAfter: string | undefined;
  /** How long each job gets to finish (all of its runs) before the next is enqueued. */
  waitMs: number;
}

/**
 * Two workers (concurrency 1). CPU-bound jobs are enqueued one at a time, the next once the
 * previous has finished, so while one worker's event loop is blocked the other is idle and
 * running maintenance: exactly the moment it could take the busy one for dead.
 * recoveryMs: none (no worker dies); details.worstWaitMs is the longest enqueue-to-finish.
 */
export async function cpuBound(store: StoreKind, p: CpuParams): Promise<FaultFigures> {
  return withRig(store, async (rig) => {
    const startedAt = Date.now();
    await startAll(rig, [{ label: 'a', deadAfter: p.deadAfter }, { label: 'b', deadAfter: p.deadAfter }]);
    const keys = keysFor('cpu-', p.jobs);
    let worstWaitMs = 0;
    for (const key of keys) {
      const enqueuedAt = Date.now();
      await rig.client().enqueue(FaultCpu, key, p.cpuMs);
      await waitUntil(() => rig.doneKeys().has(key), p.waitMs);
      worstWaitMs = Math.max(worstWaitMs, Date.now() - enqueuedAt);
    }
    await rig.settle(keys, p.waitMs);
    // A job taken for dead is run again on the other worker, possibly after the last one finished.
    await sleep(500);
    return figures(rig, {
      id: 'cpu', scenario: 'CPU-bound job', params: { jobs: p.jobs, cpuMs: p.cpuMs, workers: 2, deadAfter: p.deadAfter ?? 'default' }, keys, startedAt,
      recoveryMs: undefined, recoveryOf: 'none: no worker dies', details: { worstWaitMs },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 3. Store freeze: SIGSTOP of the redis-server for longer than --dead-after

export interface FreezeParams {
  jobs: number;
  concurrency: number;
  jobMs: number;
  freezeMs: number;
  deadAfter: string | undefined;
  waitMs: number;
}

/**
 * A private redis-server, two healthy workers running jobs of `jobMs`; once both run jobs the
 * server is frozen for `freezeMs`, then thawed. recoveryMs: thaw until the workers' settles
 * reach the store again (its processed counter moves).
 */
export async function storeFreeze(p: FreezeParams): Promise<FaultFigures> {
  const server = await PrivateRedis.start();
  try {
    return await withRig('redis', async (rig) => {
      const startedAt = Date.now();
      await startAll(rig, [{ label: 'a', concurrency: p.concurrency, deadAfter: p.deadAfter }, { label: 'b', concurrency: p.concurrency, deadAfter: p.deadAfter }]);
      const keys = keysFor('freeze-', p.jobs);
      await rig.client().enqueueBulk(FaultSleep, keys.map((key) => [key, p.jobMs] as [string, number]));
      const bothRun = () => new Set(rig.runs().filter((r) => r.event === 'start').map((r) => r.label)).size === 2;
      if (!(await waitUntil(bothRun, 30_000))) throw new Error('both workers never ran jobs at once');
      const admin = await rig.admin();
      const processedBefore = (await admin.stats()).processed;
      server.freeze();
      const frozenAt = Date.now();
      await sleep(p.freezeMs);
      server.thaw();
      const thawedAt = Date.now();
      const startedDuringFreeze = rig.runs().filter((r) => r.event === 'start' && r.at >= frozenAt && r.at < thawedAt).length;
      // Work flows again once the workers' settles reach the store: `processed` moves.
      let flowingAt: number | undefined;
      await waitUntil(async () => {
        if ((await admin.stats()).processed > processedBefore) flowingAt = Date.now();
        return flowingAt !== undefined;
      }, p.waitMs, 50);
      await rig.settle(keys, p.waitMs);
      const lastEnd = Math.max(...rig.runs().filter((r) => r.event === 'end').map((r) => r.at));
      const firstStartAfterThaw = Math.min(...rig.runs().filter((r) => r.event === 'start' && r.at >= thawedAt).map((r) => r.at));
      return figures(rig, {
        id: 'freeze', scenario: 'store freeze', params: { jobs: p.jobs, concurrency: p.concurrency, workers: 2, jobMs: p.jobMs, freezeMs: p.freezeMs, deadAfter: p.deadAfter ?? 'default' },
        keys, startedAt, recoveryMs: flowingAt === undefined ? undefined : flowingAt - thawedAt,
        recoveryOf: 'thaw (SIGCONT) until finished jobs reached the store again', details: {
          startedDuringFreeze, firstStartAfterThawMs: Number.isFinite(firstStartAfterThaw) ? firstStartAfterThaw - thawedAt : undefined,
          lastJobEndedAfterThawMs: lastEnd - thawedAt,
        },
      });
    }, server.url);
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Clock skew: one of two workers' Date runs ahead

export interface SkewParams {
  jobs: number;
  concurrency: number;
  jobMs: number;
  skewMs: number;
  deadAfter: string | undefined;
  waitMs: number;
}

/**
 * Two workers, one with the skew-clock preload (its Date runs `skewMs` ahead). recoveryMs:
 * none (no worker dies); details.drainMs is enqueue until every job finished.
 */
export async function clockSkew(store: StoreKind, p: SkewParams): Promise<FaultFigures> {
  return withRig(store, async (rig) => {
    const startedAt = Date.now();
    await startAll(rig, [
      { label: 'true-clock', concurrency: p.concurrency, deadAfter: p.deadAfter },
      { label: 'skewed', concurrency: p.concurrency, deadAfter: p.deadAfter, preload: SKEW_CLOCK, env: { ERRAND_SKEW_MS: String(p.skewMs) } },
    ]);
    const keys = keysFor('skew-', p.jobs);
    const enqueuedAt = Date.now();
    await rig.client().enqueueBulk(FaultSleep, keys.map((key) => [key, p.jobMs] as [string, number]));
    await rig.settle(keys, p.waitMs);
    const done = rig.doneKeys();
    const drainMs = keys.every((key) => done.has(key)) ? Math.max(...rig.runs().filter((r) => r.event === 'end').map((r) => r.at)) - enqueuedAt : undefined;
    await sleep(500);
    return figures(rig, {
      id: 'skew', scenario: 'clock skew', params: { jobs: p.jobs, concurrency: p.concurrency, workers: 2, jobMs: p.jobMs, skewMs: p.skewMs, deadAfter: p.deadAfter ?? 'default' },
      keys, startedAt, recoveryMs: undefined, recoveryOf: 'none: no worker dies',
      details: { drainMs, ranOn: Object.fromEntries(['true-clock', 'skewed'].map((label) => [label, rig.runs().filter((r) => r.event === 'start' && r.label === label).length])) },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 5. Invalid retry option in a JavaScript job file

export interface InvalidRetryFigures {
  readonly scenario: string;
  readonly store: StoreKind;
  /** The worker exited before starting, non-zero: it refused the job file. */
  readonly refusedAtLoad: boolean;
  readonly exitCode: number | null;
  /** The worker's last output lines (the refusal, or the crash). */
  readonly message: string;
  /** When it did start: did a throwing job kill it, and did a later job still run? */
  readonly diedWhenJobThrew: boolean | undefined;
  readonly laterJobRan: boolean | undefined;
  readonly elapsedMs: number;
}

/**
 * `errand work --require fault-bad-retry.mjs` (retry: { delay: '5 minutes' }). Either it refuses
 * to start (the job file is checked when the job is defined), or, if it starts, a FaultBadRetry
 * job is pushed, then another: does the worker survive the first, does the second run?
 */
export async function invalidRetry(store: StoreKind, p: { waitMs: number }): Promise<InvalidRetryFigures> {
  return withRig(store, async (rig) => {
    const startedAt = Date.now();
    const worker = rig.spawnWorker({ label: 'bad-retry', files: [BAD_RETRY_JOBS] });
    const started = await worker.started(p.waitMs);
    let diedWhenJobThrew: boolean | undefined;
    let laterJobRan: boolean | undefined;
    if (started) {
      await rig.pushRaw('FaultBadRetry', [['bad-0']]);
      await waitUntil(() => rig.runs().some((r) => r.key === 'bad-0'), p.waitMs);
      await waitUntil(() => worker.exit !== undefined, 3_000);
      diedWhenJobThrew = worker.exit !== undefined;
      await rig.pushRaw('FaultBadRetry', [['bad-1']]);
      laterJobRan = await waitUntil(() => rig.runs().some((r) => r.key === 'bad-1'), diedWhenJobThrew ? 1_000 : p.waitMs);
    }
    await waitUntil(() => worker.exit !== undefined, started ? 0 : p.waitMs);
    // The refusal (`errand: …`) or the crash (an `…Error: …` line), else the last lines.
    const lines = worker.output().trim().split('\n');
    const telling = lines.filter((line) => /^errand:|^\w*Error\b|Error: /.test(line)).slice(0, 3);
    return {
      scenario: 'invalid retry option', store, refusedAtLoad: !started && worker.exit !== undefined && worker.exit.code !== 0,
      exitCode: worker.exit?.code ?? null, message: (telling.length > 0 ? telling : lines.slice(-3)).join('\n'), diedWhenJobThrew, laterJobRan, elapsedMs: Date.now() - startedAt,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 6. Rolling deploy: a job type the running worker does not know yet

export interface DeployParams {
  jobs: number;
  /** How long after the enqueue the worker that knows the job starts. */
  deployAfterMs: number;
  /** How long, after the new worker started, the jobs get to run. */
  waitMs: number;
}

/**
 * An old worker (fault-jobs.ts only) runs; FaultDeployed jobs are enqueued; `deployAfterMs`
 * later a new worker (fault-jobs.ts + fault-deploy-jobs.ts) starts and, once it runs, the old
 * one is stopped with SIGTERM, as a rolling deploy replaces it. details.failedBeforeDeploy: the
 * failed list when the new worker started; details.ranOn: runs per worker label.
 * recoveryMs: the new worker started until every deployed job had run.
 */
export async function rollingDeploy(store: StoreKind, p: DeployParams): Promise<FaultFigures> {
  return withRig(store, async (rig) => {
    const startedAt = Date.now();
    const [old] = await startAll(rig, [{ label: 'old' }]);
    const keys = keysFor('deploy-', p.jobs);
    await rig.client().enqueueBulk(FaultDeployed, keys.map((key) => [key, 100] as [string, number]));
    await sleep(p.deployAfterMs);
    const failedBeforeDeploy = (await rig.failedEntries()).map((entry) => entry.exception);
    const [fresh] = await startAll(rig, [{ label: 'new', files: [FAULT_JOBS, DEPLOY_JOBS] }]);
    const newStartedAt = fresh!.readyAt!;
    await old!.signal('SIGTERM');
    await rig.settle(keys, p.waitMs);
    const done = rig.doneKeys();
    const ends = rig.runs().filter((r) => r.event === 'end');
    return figures(rig, {
      id: 'deploy', scenario: 'rolling deploy', params: { jobs: p.jobs, deployAfterMs: p.deployAfterMs }, keys, startedAt,
      recoveryMs: keys.every((key) => done.has(key)) ? Math.max(0, Math.max(...ends.map((r) => r.at)) - newStartedAt) : undefined,
      recoveryOf: 'the new worker started until every deployed job had run',
      details: {
        failedBeforeDeploy,
        ranOn: Object.fromEntries(['old', 'new'].map((label) => [label, rig.runs().filter((r) => r.event === 'start' && r.label === label).length])),
        oldExit: await waitUntil(() => old!.exit !== undefined, 30_000).then(() => old!.exit),
      },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Sizes

/** Small enough for the default test run; each still long enough to hit its fault. */
export const TEST_SIZES = {
  restart: { jobs: 15, concurrency: 5, jobMs: 1_500, deadAfter: '2s', waitMs: 30_000 },
  cpu: { jobs: 3, cpuMs: 3_000, deadAfter: '2s', waitMs: 20_000 },
  // 2 × --dead-after with --dead-after 3s: a freeze longer than a store command's timeout (5 s),
  // so that commands fail during it and the ones sent meanwhile run when the store comes back.
  freeze: { jobs: 24, concurrency: 3, jobMs: 2_500, freezeMs: 6_000, deadAfter: '3s', waitMs: 30_000 },
  skew: { jobs: 12, concurrency: 2, jobMs: 1_500, skewMs: 20_000, deadAfter: '2s', waitMs: 30_000 },
  invalidRetry: { waitMs: 30_000 },
  deploy: { jobs: 3, deployAfterMs: 6_000, waitMs: 60_000 },
} as const satisfies Record<string, object>;

/** The issue's sizes, on the default --dead-after (5 s): the figures of docs/guarantees.md. */
export const FULL_SIZES = {
  restart: { jobs: 30, concurrency: 5, jobMs: 3_000, deadAfter: undefined, waitMs: 60_000 },
  cpu: { jobs: 4, cpuMs: 7_000, deadAfter: undefined, waitMs: 60_000 },
  freeze: { jobs: 40, concurrency: 5, jobMs: 3_000, freezeMs: 12_000, deadAfter: undefined, waitMs: 60_000 },
  skew: { jobs: 30, concurrency: 5, jobMs: 1_000, skewMs: 20_000, deadAfter: undefined, waitMs: 60_000 },
  invalidRetry: { waitMs: 30_000 },
  deploy: { jobs: 5, deployAfterMs: 6_000, waitMs: 120_000 },
} as const satisfies Record<string, object>;

// ---------------------------------------------------------------------------------------------
// Reporting

const seconds = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);

/** One scenario's figures as a few readable lines. */
export function formatFigures(f: FaultFigures): string {
  const params = Object.entries(f.params).map(([name, value]) => `${name} ${value}`).join(', ');
  const failed = Object.entries(f.failedByException).map(([name, n]) => `${n} ${name}`).join(', ') || 'none';
  return [
    `${f.scenario} (${f.store}; ${params})`,
    `  jobs done ${f.done}/${f.jobs}${f.notDone.length ? ` (not done: ${f.notDone.slice(0, 8).join(', ')}${f.notDone.length > 8 ? ', …' : ''})` : ''}` +
      `   runs per job: max ${f.runsMax}, ${f.duplicated.length} ran more than once (${f.extraRuns} extra runs)`,
    `  poison ${f.poison}   failed list: ${failed} (${f.failedButDone} of them jobs that had succeeded)   store drained: ${f.drained ? 'yes' : 'NO'}`,
    `  recovery ${seconds(f.recoveryMs)} (${f.recoveryOf})   reaps the workers logged: ${f.reaped}   took ${seconds(f.elapsedMs)}`,
    `  ${JSON.stringify(f.details)}`,
  ].join('\n');
}

export function formatInvalidRetry(f: InvalidRetryFigures): string {
  const after = f.refusedAtLoad ? '' : `   died when the job threw: ${f.diedWhenJobThrew ?? 'n/a'}   a later job ran: ${f.laterJobRan ?? 'n/a'}`;
  return [
    `${f.scenario} (${f.store}; retry: { delay: '5 minutes' } in a .mjs job file)`,
    `  refused at load: ${f.refusedAtLoad ? 'yes' : 'no'} (exit code ${f.exitCode ?? 'none: still running'})${after}   took ${seconds(f.elapsedMs)}`,
    ...f.message.split('\n').map((line) => `  | ${line.slice(0, 300)}`),
  ].join('\n');
}

/**
 * What a scenario's figures break of issue #10's "done": every job done exactly once (kill -9
 * duplicates aside), nothing in the failed list, nothing left in the store. The same rules the
 * test asserts one by one; `npm run faults` prints them.
 */
export function faultProblems(f: FaultFigures): string[] {
  const problems: string[] = [];
  if (f.notDone.length > 0) problems.push(`${f.notDone.length} of ${f.jobs} jobs not done`);
  if (f.id === 'restart') {
    const outside = f.details.duplicatesNotStartedByKilled as string[];
    if (outside.length > 0) problems.push(`${outside.length} jobs the killed process had never started ran twice`);
    if (f.runsMax > 2) problems.push(`a job ran ${f.runsMax} times`);
    if (JSON.stringify(f.details.pids) !== '[1]') problems.push(`not every run was on PID 1: pids ${JSON.stringify(f.details.pids)}`);
  } else if (f.duplicated.length > 0) {
    problems.push(`${f.duplicated.length} jobs ran more than once (${f.extraRuns} extra runs)`);
  }
  if (f.poison > 0) problems.push(`${f.poison} poison entries`);
  if (f.failedButDone > 0) problems.push(`${f.failedButDone} succeeded jobs in the failed list`);
  if (f.failed > f.poison) problems.push(`${f.failed - f.poison} other failed entries (${Object.keys(f.failedByException).join(', ')})`);
  if (f.id === 'deploy') {
    const before = f.details.failedBeforeDeploy as string[];
    if (before.length > 0) problems.push(`the old worker failed ${before.length} unknown jobs before the new one started`);
    const ranOn = f.details.ranOn as Record<string, number>;
    if (ranOn.old) problems.push(`${ranOn.old} runs on the old worker`);
  }
  if (!f.drained) problems.push('the store still holds jobs');
  return problems;
}

export function invalidRetryProblems(f: InvalidRetryFigures): string[] {
  const problems: string[] = [];
  if (!f.refusedAtLoad) problems.push(`the worker started${f.diedWhenJobThrew ? ', then died when the job threw' : ''}${f.laterJobRan === false ? '; a later job did not run' : ''}`);
  else if (!/FaultBadRetry/.test(f.message) || !/delay/.test(f.message)) problems.push('the refusal does not name the job and the option');
  return problems;
}
