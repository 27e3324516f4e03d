// Worker processes for the chaos suite: each is a real `node bin/errand.js work --require
// chaos/jobs.ts …` child with its own log file in the run directory. The pool keeps track of
// the live ones, kills (SIGKILL) or stops (SIGTERM) one at random, and waits for exits. Only
// processes this pool spawned are ever signalled, by pid.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRAND, jobFile } from '../test/support/errand-bin.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export const JOBS = jobFile(join(ROOT, 'chaos', 'jobs.ts'));

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  readonly log: string;
  /** Set once the process has exited: its exit code, or the signal that ended it. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
  /** The last signal this pool sent it. */
  signalled: NodeJS.Signals | undefined;
  /** Set once its log shows "worker started" (registered, signal handlers about to be set). */
  readyAt: number | undefined;
}

export interface PoolOptions {
  url: string;
  namespace: string;
  dir: string;
  concurrency: number;
  /** Extra `errand work` flags. */
  args?: readonly string[];
}

export class WorkerPool {
  readonly all: WorkerProcess[] = [];
  private counter = 0;

  constructor(private readonly options: PoolOptions) {}

  /** Live processes this pool has not signalled yet. */
  get live(): WorkerProcess[] {
    return this.all.filter((w) => !w.exit && !w.signalled);
  }

  spawn(): WorkerProcess {
    const o = this.options;
    const log = join(o.dir, `worker-${++this.counter}.log`);
    const fd = openSync(log, 'a');
    const env: NodeJS.ProcessEnv = { ...process.env, CHAOS_DIR: o.dir };
    for (const name of ['ERRAND_URL', 'REDIS_URL', 'QUEUE', 'QUEUES', 'INTERVAL', 'VERBOSE', 'VVERBOSE', 'ERRAND_INLINE']) delete env[name];
    const child = spawn(process.execPath, [...ERRAND, 'work', '--require', JOBS, '--url', o.url, '--namespace', o.namespace,
      '--concurrency', String(o.concurrency), '--queues', 'chaos', ...(o.args ?? [])], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const worker: WorkerProcess = {
      child, pid: child.pid!, startedAt: Date.now(), log, exit: undefined, signalled: undefined, readyAt: undefined,
      exited: new Promise((resolve) => child.once('exit', (code, signal) => {
        worker.exit = { code, signal };
        resolve();
      })),
    };
    this.all.push(worker);
    return worker;
  }

  /** Live workers that have started (a process boots in ~2-3 s: tsx compiles the sources). */
  ready(): WorkerProcess[] {
    for (const w of this.live) {
      if (w.readyAt === undefined && readFileSync(w.log, 'utf8').includes('"msg":"worker started"')) w.readyAt = Date.now();
    }
    return this.live.filter((w) => w.readyAt !== undefined);
  }

  /** A random started worker that has been taking jobs for `minUpMs`, if at least `leave` others stay. */
  pick(minUpMs: number, leave = 1): WorkerProcess | undefined {
    const ready = this.ready();
    if (ready.length <= leave) return undefined;
    const up = ready.filter((w) => Date.now() - w.readyAt! >= minUpMs);
    return up[Math.floor(Math.random() * up.length)];
  }

  signal(worker: WorkerProcess, signal: NodeJS.Signals): void {
    worker.signalled = signal;
    if (!worker.exit) process.kill(worker.pid, signal);
  }

  /** Workers that exited on their own (neither killed nor stopped by the pool): crashes. */
  crashed(): WorkerProcess[] {
    return this.all.filter((w) => w.exit && !w.signalled);
  }

  /** Workers stopped with SIGTERM that did not exit 0. */
  badStops(): WorkerProcess[] {
    return this.all.filter((w) => w.signalled === 'SIGTERM' && w.exit && w.exit.code !== 0);
  }

  /** SIGKILLs every process still running but `spare`; resolves with how many had been sent SIGTERM. */
  async killAll(spare?: WorkerProcess): Promise<number> {
    let stillStopping = 0;
    const victims = this.all.filter((w) => w !== spare && !w.exit);
    for (const w of victims) {
      if (w.signalled === 'SIGTERM') stillStopping++;
      this.signal(w, 'SIGKILL');
    }
    await Promise.all(victims.map((w) => w.exited));
    return stillStopping;
  }
}
