// Helpers for tests that run the real `errand` command in child processes against real Redis:
// a fresh namespace per test (deleted with SCAN + DEL afterwards), spawning `node bin/errand.js`
// (or its test build, see errand-bin.ts),
// polling for conditions (Redis keys, files jobs write, process exit) instead of sleeping.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createErrand, type Errand } from '../../src/index.ts';
import { ERRAND, jobFile } from './errand-bin.ts';
import { deleteNamespace } from './redis.ts';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const JOBS = jobFile(join(ROOT, 'test', 'fixtures', 'cli-jobs.ts'));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Polls `check` until it returns a truthy value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const RUN_SLOTS = 3;
let slotsInUse = 0;
const slotWaiters: (() => void)[] = [];

function acquireSlot(): Promise<void> {
  if (slotsInUse < RUN_SLOTS) {
    slotsInUse++;
    return Promise.resolve();
  }
  return new Promise((resolve) => slotWaiters.push(resolve));
}

function releaseSlot(): void {
  const next = slotWaiters.shift();
  if (next) next();
  else slotsInUse--;
}

/** A spawned `errand` process: its output so far and a promise of how it ended. */
export class CliProcess {
  stdout = '';
  stderr = '';
  result: CliResult | undefined;
  readonly exited: Promise<CliResult>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.result = { code, signal, stdout: this.stdout, stderr: this.stderr };
        resolve(this.result);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.result === undefined) process.kill(this.pid, signal);
  }

  /** Resolves with how the process ended; throws when it is still running after `timeoutMs`. */
  async waitExit(timeoutMs = 30_000): Promise<CliResult> {
    await waitFor(`errand process ${this.pid} to exit (stderr: ${this.stderr.slice(-300)})`, () => this.result, timeoutMs);
    return this.result!;
  }
}

/**
 * One test's world: a namespace of its own, a file jobs append to, a Redis connection, and the
 * processes it spawned (killed with SIGKILL by pid when it ends).
 */
export class World {
  readonly namespace = `errand-t-${randomBytes(6).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'errand-cli-'));
  readonly out = join(this.dir, 'out.txt');
  readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  private readonly processes: CliProcess[] = [];
  private errand: Errand | undefined;

  /** An in-process errand client on this world's namespace (enqueues announce work to idle workers). */
  client(): Errand {
    this.errand ??= createErrand({ url: REDIS_URL, namespace: this.namespace });
    return this.errand;
  }

  key(suffix: string): string {
    return `${this.namespace}:${suffix}`;
  }

  /** Store flags for this world. */
  get store(): string[] {
    return ['--url', REDIS_URL, '--namespace', this.namespace];
  }

  spawn(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['ERRAND_URL', 'REDIS_URL', 'QUEUE', 'QUEUES', 'INTERVAL', 'VERBOSE', 'VVERBOSE', 'ERRAND_INLINE']) delete base[name];
    const child = spawn(process.execPath, [...ERRAND, ...args], {
      cwd: ROOT,
      env: { ...base, ERRAND_TEST_OUT: this.out, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new CliProcess(child);
    this.processes.push(proc);
    return proc;
  }

  /**
   * Runs a command to its end (killing it after `timeoutMs`). At most RUN_SLOTS such commands run
   * at once in this test process, so a file's parallel tests do not starve a 2-core machine.
   */
  async run(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 45_000): Promise<CliResult> {
    await acquireSlot();
    const proc = this.spawn(args, env);
    try {
      return await proc.waitExit(timeoutMs);
    } finally {
      proc.signal('SIGKILL');
      releaseSlot();
    }
  }

  /** Starts `errand work` with the fixture jobs and waits until it is registered in `<ns>:workers`. */
  async worker(args: string[] = [], env: NodeJS.ProcessEnv = {}, options: { waitForHeartbeat?: boolean } = {}): Promise<{ proc: CliProcess; id: string }> {
    const proc = this.spawn(['work', '--require', JOBS, ...this.store, ...args], env);
    const id = await waitFor(`worker ${proc.pid} to register`, async () => {
      if (proc.result) throw new Error(`worker exited early: ${JSON.stringify(proc.result)}`);
      const ids = await this.redis.smembers(this.key('workers'));
      return ids.find((workerId) => workerId.split(':')[1] === String(proc.pid));
    }).catch((error: Error) => {
      throw new Error(`${error.message}; its stdout: ${proc.stdout.slice(-400)}; its stderr: ${proc.stderr.slice(-400)}`);
    });
    // `errand work` installs its signal handlers only after registering; its first heartbeat
    // (a timer, so after that point) shows the handlers are in place.
    if (options.waitForHeartbeat === false) return { proc, id };
    // Each renewal moves the lease's expiry (its score) forward.
    const registeredAt = Number(await this.redis.zscore(this.key('errand:leases'), id));
    await waitFor(`worker ${id} to heartbeat once`, async () => Number(await this.redis.zscore(this.key('errand:leases'), id)) > registeredAt);
    return { proc, id };
  }

  /** Lines jobs appended to the out file so far. */
  lines(): string[] {
    if (!existsSync(this.out)) return [];
    return readFileSync(this.out, 'utf8').split('\n').filter(Boolean);
  }

  has(line: string): boolean {
    return this.lines().includes(line);
  }

  /** Pushes a payload as Ruby Resque does: RPUSH to the queue list and SADD to the queues set. */
  async rpush(queue: string, ...payloads: string[]): Promise<void> {
    await this.redis.multi().sadd(this.key('queues'), queue).rpush(this.key(`queue:${queue}`), ...payloads).exec();
  }

  /** A Resque-format payload `{"class":…,"args":[…]}`, key order as Ruby writes it. */
  static payload(name: string, args: unknown[]): string {
    return JSON.stringify({ class: name, args });
  }

  async close(): Promise<void> {
    for (const proc of this.processes) proc.signal('SIGKILL');
    await Promise.all(this.processes.map((proc) => proc.exited));
    await this.errand?.close();
    await deleteNamespace(this.namespace);
    this.redis.disconnect();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `body` in a fresh World, always cleaning it up. */
export async function inWorld(body: (world: World) => Promise<void>): Promise<void> {
  const world = new World();
  try {
    await body(world);
  } finally {
    await world.close();
  }
}
