// The process monitor (`errand work --processes N`, src/supervisor/) with real processes against
// real Redis: a child killed with -9 is replaced and its jobs run; a leaking child is recycled at
// --max-memory and one that hit --max-jobs is replaced; a blocked event loop is SIGKILLed after
// --stuck-timeout and its job comes back; HUP under load restarts every process without losing a
// job; a crash loop backs off while the supervisor stays up; TTIN/TTOU resize the pool; --watch
// restarts on a file change; /healthz and /readyz answer. Each test has its own namespace, deleted
// with SCAN + DEL; tests poll for conditions and never assert timings.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createErrand, type Errand } from '../src/index.ts';
import { Leak, Nap, Spin, Suicide } from './fixtures/supervisor-jobs.ts';
import { ERRAND, jobFile } from './support/errand-bin.ts';
import { deleteNamespace } from './support/redis.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const JOBS = jobFile(join(ROOT, 'test', 'fixtures', 'supervisor-jobs.ts'));
const BROKEN = jobFile(join(ROOT, 'test', 'fixtures', 'supervisor-broken.ts'));

async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface LogLine { pid: number; msg: string; child?: number; [key: string]: unknown }

/** A supervisor process: its log (its own lines and its children's, JSON on stdout). */
class Supervisor {
  stdout = '';
  stderr = '';
  exit: { code: number | null; signal: string | null } | undefined;
  readonly exited: Promise<void>;
  /** 'exit' of the supervisor itself; 'close' also waits for its children, which share its stdout. */
  readonly exitedProcess: Promise<void>;

  constructor(readonly proc: ChildProcess) {
    this.exitedProcess = new Promise((resolve) => proc.on('exit', () => resolve()));
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => proc.on('close', (code, signal) => {
      this.exit = { code, signal };
      resolve();
    }));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  signal(signal: NodeJS.Signals): void {
    try {
      if (!this.exit) process.kill(this.pid, signal);
    } catch { /* exited; 'close' waits for stdout */ }
  }

  lines(): LogLine[] {
    return this.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
  }

  /** Supervisor lines whose message matches. */
  said(pattern: RegExp): LogLine[] {
    return this.lines().filter((line) => line.pid === this.pid && pattern.test(line.msg));
  }

  /** Children that said they are ready and have not exited, per the supervisor's log. */
  children(): number[] {
    const exited = new Set(this.said(/^worker process \d+ exited/).map((line) => line.child));
    return [...new Set(this.said(/^worker process \d+ ready$/).map((line) => line.child!))].filter((pid) => !exited.has(pid));
  }

  async waitExit(): Promise<{ code: number | null; signal: string | null }> {
    await waitFor(`supervisor ${this.pid} to exit (stderr: ${this.stderr.slice(-300)})`, () => this.exit);
    return this.exit!;
  }
}

class World {
  readonly namespace = `errand-sv-${randomBytes(6).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'errand-sv-'));
  readonly out = join(this.dir, 'out.txt');
  readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  private readonly supervisors: Supervisor[] = [];
  private errand: Errand | undefined;

  client(): Errand {
    this.errand ??= createErrand({ url: REDIS_URL, namespace: this.namespace, jobs: [Nap, Leak, Spin, Suicide] });
    return this.errand;
  }

  key(suffix: string): string {
    return `${this.namespace}:${suffix}`;
  }

  /** Starts `errand work … --processes` and waits until `ready` children are up. */
  async supervisor(args: string[], ready = 1, jobs = JOBS, extraEnv: NodeJS.ProcessEnv = {}): Promise<Supervisor> {
    const env: NodeJS.ProcessEnv = { ...process.env, ERRAND_TEST_OUT: this.out };
    for (const name of ['ERRAND_URL', 'REDIS_URL', 'QUEUE', 'QUEUES', 'INTERVAL', 'COUNT', 'VERBOSE', 'VVERBOSE', 'ERRAND_INLINE', 'ERRAND_SUPERVISED']) delete env[name];
    Object.assign(env, extraEnv);
    const proc = spawn(process.execPath, [...ERRAND, 'work', '--require', jobs, '--url', REDIS_URL, '--namespace', this.namespace, ...args], {
      cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const supervisor = new Supervisor(proc);
    this.supervisors.push(supervisor);
    if (ready > 0) await waitFor(`${ready} worker processes to be ready`, () => supervisor.children().length >= ready).catch((error) => { throw new Error(`${(error as Error).message}; log: ${supervisor.stdout.slice(-1500)} stderr: ${supervisor.stderr.slice(-1500)}`); });
    return supervisor;
  }

  lines(): string[] {
    return existsSync(this.out) ? readFileSync(this.out, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** Ids of jobs that wrote "<what> <id> <pid>". */
  ids(what: string): Set<string> {
    return new Set(this.lines().map((line) => line.split(' ')).filter((parts) => parts[0] === what).map((parts) => parts[1]!));
  }

  async close(): Promise<void> {
    // SIGKILL the supervisors first (so they start nothing more), then every process of this
    // test's namespace, found by its command line: a child started just before its supervisor
    // died is in no log yet.
    for (const supervisor of this.supervisors) supervisor.signal('SIGKILL');
    await Promise.all(this.supervisors.map((supervisor) => supervisor.exitedProcess));
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.namespace)) process.kill(Number(pid), 'SIGKILL');
      } catch { /* gone meanwhile */ }
    }
    await Promise.all(this.supervisors.map((supervisor) => supervisor.exited));
    await this.errand?.close();
    await deleteNamespace(this.namespace);
    this.redis.disconnect();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function inWorld(body: (world: World) => Promise<void>): Promise<void> {
  const world = new World();
  try {
    await body(world);
  } finally {
    await world.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function queued(world: World): Promise<number> {
  return world.redis.llen(world.key('queue:default'));
}

describe('errand work --processes: the supervisor', { concurrency: 3 }, () => {
  test('kill -9 of a worker process: a new process replaces it and its jobs are recovered and completed', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '2'], 2);
    const before = sv.children();
    const ids = ['k1', 'k2', 'k3', 'k4'];
    for (const id of ids) await world.client().enqueue(Nap, id, 1_500);
    await waitFor('two jobs to start', () => world.ids('start').size >= 2);
    const victim = Number(world.lines().find((line) => line.startsWith('start '))!.split(' ')[2]);
    process.kill(victim, 'SIGKILL');
    const replacement = await waitFor('a replacement process', () => sv.children().find((pid) => !before.includes(pid)));
    assert.ok(!alive(victim));
    assert.ok(sv.said(new RegExp(`^worker process ${victim} exited unexpectedly \\(signal SIGKILL\\)`)).length === 1, 'the exit is logged with its signal');
    assert.notEqual(replacement, victim);
    await waitFor('every job to complete', () => ids.every((id) => world.ids('done').has(id)));
    assert.equal(await queued(world), 0);
    assert.equal(sv.children().length, 2);
  }));

  test('a leaking worker process is replaced gracefully at --max-memory; its job finishes', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '1', '--max-memory', '220MB']);
    const [first] = sv.children();
    await world.client().enqueue(Leak, 'leak', 200, 1_500);
    await waitFor('a memory recycle', () => sv.said(/^stopping worker process \d+: memory: RSS/).length > 0);
    await waitFor('the leaking process to exit after a graceful stop', () => sv.said(new RegExp(`^worker process ${first} exited \\(code 0\\) after: memory`)).length > 0);
    await waitFor('a new process', () => sv.children().some((pid) => pid !== first));
    assert.ok(world.ids('done').has('leak'), 'the job finished before the process stopped');
    assert.equal(await queued(world), 0);
  }));

  test('--max-jobs: a process is replaced gracefully after N jobs and every job runs', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '1', '--max-jobs', '3']);
    const [first] = sv.children();
    const ids = Array.from({ length: 8 }, (_, i) => `m${i}`);
    await world.client().enqueueBulk(Nap, ids.map((id) => [id, 50] as [string, number]));
    await waitFor('a recycle', () => sv.said(new RegExp(`^stopping worker process ${first}: max-jobs`)).length > 0);
    await waitFor('the recycled process to exit 0', () => sv.said(new RegExp(`^worker process ${first} exited \\(code 0\\) after: max-jobs`)).length > 0);
    await waitFor('a new process', () => sv.children().some((pid) => pid !== first));
    await waitFor('every job to complete', () => ids.every((id) => world.ids('done').has(id)));
    const ranIn = world.lines().filter((line) => line.startsWith(`done `) && line.endsWith(` ${first}`)).length;
    assert.ok(ranIn >= 3, `the first process finished ${ranIn} jobs before it was replaced`);
    assert.equal(await queued(world), 0);
  }));

  test('a blocked event loop is SIGKILLed after --stuck-timeout and replaced; its job comes back and completes', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '1', '--stuck-timeout', '2s']);
    const [first] = sv.children();
    await world.client().enqueue(Spin, 'spin', 120_000);
    await waitFor('the stuck process to be killed', () => sv.said(new RegExp(`^worker process ${first} is stuck`)).length > 0);
    await waitFor('its exit by SIGKILL', () => sv.said(new RegExp(`^worker process ${first} exited \\(signal SIGKILL\\) after: stuck`)).length > 0);
    await waitFor('a new process', () => sv.children().some((pid) => pid !== first));
    await waitFor('the job to complete in another process', () => world.lines().some((line) => line.startsWith('done spin ') && line !== `done spin ${first}`));
    assert.equal(await queued(world), 0);
  }));

  test('SIGHUP under load: a rolling restart changes every pid and no job is lost', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '2', '--concurrency', '2'], 2);
    const before = sv.children();
    const ids = Array.from({ length: 60 }, (_, i) => `h${i}`);
    await world.client().enqueueBulk(Nap, ids.map((id) => [id, 100] as [string, number]));
    await waitFor('jobs to be running', () => world.ids('start').size >= 4);
    sv.signal('SIGHUP');
    await waitFor('the rolling restart to finish', () => sv.said(/^rolling restart done$/).length > 0);
    await waitFor('the old processes to exit', () => before.every((pid) => sv.said(new RegExp(`^worker process ${pid} exited \\(code 0\\)`)).length > 0));
    await waitFor('every job to complete', () => ids.every((id) => world.ids('done').has(id)));
    const after = sv.children();
    assert.equal(after.length, 2);
    assert.ok(after.every((pid) => !before.includes(pid)), `new pids ${after} differ from ${before}`);
    assert.equal(await queued(world), 0);
    assert.equal(sv.said(/exited unexpectedly/).length, 0);
  }));

  test('a crash loop (a job file that throws on import) backs off, logged, and the supervisor stays up', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '1'], 0, BROKEN);
    await waitFor('backoff to be logged', () => sv.said(/^crash loop: \d+ unexpected exits in a row; backing off \d+ ms/).length >= 2);
    const waits = sv.lines().filter((line) => typeof line.backoffMs === 'number').map((line) => line.backoffMs as number);
    assert.ok(waits[1]! > waits[0]!, `backoff grows: ${waits}`);
    assert.equal(sv.exit, undefined, 'the supervisor is still running');
    sv.signal('SIGTERM');
    assert.equal((await sv.waitExit()).code, 0);
  }));

  test('SIGTTIN / SIGTTOU add and remove a process; /healthz and /readyz answer', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '1', '--health-port', '0']);
    const port = await waitFor('the health port', () => sv.lines().find((line) => typeof line.port === 'number')?.port as number | undefined);
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, body: await response.json() as Record<string, unknown> };
    };
    assert.deepEqual((await get('/healthz')).status, 200);
    const ready = await waitFor('/readyz 200', async () => { const r = await get('/readyz'); return r.status === 200 ? r : undefined; });
    assert.equal(ready.body.ready, 1);
    const workers = async () => (await world.redis.smembers(world.key('workers'))).length;
    sv.signal('SIGTTIN');
    await waitFor('two registered workers', async () => sv.children().length === 2 && (await workers()) === 2);
    sv.signal('SIGTTOU');
    await waitFor('one registered worker', async () => sv.children().length === 1 && (await workers()) === 1);
    sv.signal('SIGTTOU');
    await waitFor('no worker', async () => sv.children().length === 0 && (await workers()) === 0);
    assert.equal((await get('/readyz')).status, 503, 'not ready with no worker process');
    assert.equal((await get('/healthz')).status, 200, 'but alive');
    sv.signal('SIGTERM');
    assert.equal((await sv.waitExit()).code, 0);
  }));

  test('a job that SIGKILLs its process (--dead-after 2s): restarted until it is poisoned; one PoisonJobError; the jobs behind it all run', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '1', '--dead-after', '2s']);
    await world.client().enqueue(Suicide, 'poison');
    await waitFor('the poison job to kill its first process', () => world.lines().some((line) => line.startsWith('start poison ')));
    // Queued behind it only now, so no innocent job is in flight at all three deaths whatever
    // the worker prefetches: each is blamed for at most two.
    const ids = Array.from({ length: 6 }, (_, i) => `i${i}`);
    await world.client().enqueueBulk(Nap, ids.map((id) => [id, 10] as [string, number]));
    const admin = await world.client().admin();
    await waitFor('the poison job in the failed list', async () => (await admin.failedCount()) > 0);
    await waitFor('every innocent job to complete', () => ids.every((id) => world.ids('done').has(id)));
    const failed = await admin.failed(0, 10);
    assert.equal(failed.length, 1, `one failure: ${failed.map((f) => f.raw).join('; ')}`);
    assert.equal(failed[0]!.entry?.exception, 'PoisonJobError');
    assert.deepEqual(failed[0]!.entry?.payload && (failed[0]!.entry.payload as { class: string; args: unknown[] }).args, ['poison']);
    const starts = world.lines().filter((line) => line.startsWith('start poison ')).map((line) => line.split(' ')[2]);
    assert.equal(starts.length, 3, `run once per death until maxDeaths (3): ran in ${starts.join(', ')}`);
    assert.equal(new Set(starts).size, 3, 'each run killed another process');
    assert.equal(sv.said(/^worker process \d+ exited unexpectedly \(signal SIGKILL\)/).length, 3, 'three deaths, no more once it was poisoned');
    const stats = await admin.stats();
    assert.equal(stats.failed, 1);
    assert.equal(await queued(world), 0);
    await waitFor('a live replacement process', () => sv.children().length === 1);
  }));

  test('--dead-after reaches the worker processes: one under two heartbeats is refused by each child', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--processes', '1', '--dead-after', '1s'], 0);
    await waitFor('a child to refuse --dead-after 1s', () => /deadAfter \(1000 ms\) must be at least twice the heartbeat interval/.test(sv.stderr));
    assert.equal(sv.children().length, 0, 'no worker process got ready');
    sv.signal('SIGTERM');
    assert.equal((await sv.waitExit()).code, 0);
  }));

  test('COUNT=2 (no --processes) runs two worker processes; USR2 and CONT sent to the supervisor pause and resume both', () => inWorld(async (world) => {
    const sv = await world.supervisor(['--interval', '1'], 2, JOBS, { COUNT: '2' });
    await waitFor('two registered workers', async () => (await world.redis.smembers(world.key('workers'))).length === 2);
    const children = sv.children();
    assert.equal(children.length, 2);
    const childSaid = (pid: number, pattern: RegExp) => sv.lines().some((line) => line.pid === pid && pattern.test(line.msg));
    sv.signal('SIGUSR2');
    await waitFor('both processes to log that they paused', () => children.every((pid) => childSaid(pid, /^paused/)));
    const ids = ['p0', 'p1', 'p2', 'p3'];
    await world.client().enqueueBulk(Nap, ids.map((id) => [id, 10] as [string, number]));
    // The enqueue's announcement wakes both processes, and they look again every second
    // (--interval 1): one that had not paused would take a job well within this.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(await queued(world), ids.length, 'paused processes take no job');
    assert.equal(world.ids('start').size, 0);
    sv.signal('SIGCONT');
    await waitFor('both processes to log that they resumed', () => children.every((pid) => childSaid(pid, /^resumed/)));
    await waitFor('every job to complete after CONT', () => ids.every((id) => world.ids('done').has(id)));
    sv.signal('SIGTERM');
    assert.equal((await sv.waitExit()).code, 0);
  }));

  test('--watch: changing a file next to the job file restarts the workers', () => inWorld(async (world) => {
    const app = join(world.dir, 'app'); // not the directory jobs write their lines to
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"type":"module"}\n');
    const jobs = join(app, 'jobs.ts');
    writeFileSync(jobs, `export { Nap } from ${JSON.stringify(JOBS)};\n`);
    const sv = await world.supervisor(['--processes', '1', '--watch'], 1, jobs);
    const [first] = sv.children();
    writeFileSync(join(app, 'helper.ts'), 'export const x = 1;\n');
    await waitFor('a rolling restart for the change', () => sv.said(/^rolling restart: files changed: .*helper\.ts/).length > 0);
    await waitFor('the old process to exit and a new one to run', () => sv.children().length === 1 && sv.children()[0] !== first && !alive(first!));
    await world.client().enqueue(Nap, 'w', 10);
    await waitFor('a job to run in the new process', () => world.ids('done').has('w'));
  }));
});
