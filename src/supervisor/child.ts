// One worker process as the supervisor sees it: forked `errand work` with an IPC channel, what
// it last reported (heartbeat time, RSS, jobs), and where it is in its life:
//   starting → up (registered, 'ready' received) → retiring (told to stop) → exited
// A child may also go straight from starting/up to exited (crash, SIGKILL). Invariants: the
// supervisor only signals a child by its own pid, and only before it exited; `exited` resolves
// exactly once, with the exit code or signal.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isChildMessage, METRICS_ENV, SUPERVISED_ENV, type ChildMessage } from './protocol.ts';

/** The errand command; the same file in a checkout (src/) and in the package (dist/). */
const BIN = fileURLToPath(new URL('../../bin/errand.js', import.meta.url));

export type ChildState = 'starting' | 'up' | 'retiring' | 'exited';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WorkerChild {
  readonly pid: number;
  readonly startedAt = Date.now();
  state: ChildState = 'starting';
  workerId: string | undefined;
  /** Why it was told to stop (or killed); undefined for an exit nobody asked for. */
  retireReason: string | undefined;
  /** When it was told to stop, and how (QUIT has no deadline: it waits for running jobs). */
  retiredAt: number | undefined;
  retireSignal: NodeJS.Signals | undefined;
  killed = false;
  lastHeartbeatAt: number | undefined;
  rss = 0;
  jobs = 0;
  byQueue: Record<string, number> = {};
  readonly exited: Promise<ChildExit>;
  private readonly proc: ChildProcess;
  private readyWaiters: ((ok: boolean) => void)[] = [];

  constructor(childArgs: string[], onMessage: (child: WorkerChild, message: ChildMessage) => void, metrics = false) {
    const env: NodeJS.ProcessEnv = { ...process.env, [SUPERVISED_ENV]: '1', [METRICS_ENV]: metrics ? '1' : '0' };
    delete env.COUNT; // Resque's pool size is for the supervisor only
    // stdout/stderr inherited: the children's log lines go where the supervisor's go.
    this.proc = fork(BIN, childArgs, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (this.proc.pid === undefined) throw new Error('could not start a worker process');
    this.pid = this.proc.pid;
    this.proc.on('message', (message) => {
      if (!isChildMessage(message)) return;
      if (message.type === 'errand:heartbeat') {
        this.lastHeartbeatAt = Date.now();
        this.rss = message.rss;
        this.jobs = message.jobs;
        this.byQueue = message.byQueue;
      } else if (message.type === 'errand:ready') {
        this.workerId = message.workerId;
        if (this.state === 'starting') this.state = 'up';
        this.settleReady(true);
      }
      onMessage(this, message);
    });
    this.proc.on('error', () => {}); // a signal to a child that just died; 'exit' follows
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.state = 'exited';
        this.settleReady(false);
        resolve({ code, signal });
      });
    });
  }

  get alive(): boolean {
    return this.state !== 'exited';
  }

  /** Counts toward the pool size: alive and not told to stop. */
  get active(): boolean {
    return this.state === 'starting' || this.state === 'up';
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone; 'exit' will say so
    }
  }

  /** Tells it to stop (TERM: finish or put back within its shutdown timeout; QUIT: wait for jobs). */
  retire(reason: string, signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.alive) return;
    this.retireReason ??= reason;
    this.retiredAt ??= Date.now();
    this.retireSignal = signal;
    this.state = 'retiring';
    this.signal(signal);
  }

  /** SIGKILL: for a stuck child or one past its stop deadline; its jobs return through crash recovery. */
  kill(reason: string): void {
    this.retireReason ??= reason;
    this.killed = true;
    if (this.alive) this.state = 'retiring';
    this.signal('SIGKILL');
  }

  /** Resolves true once the child is registered and ready, false if it exits first. */
  whenReady(): Promise<boolean> {
    if (this.state === 'up') return Promise.resolve(true);
    if (!this.alive) return Promise.resolve(false);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private settleReady(ok: boolean): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter(ok);
  }

  describe(): Record<string, unknown> {
    return { pid: this.pid, state: this.state, workerId: this.workerId ?? null, rss: this.rss, jobs: this.jobs, uptimeMs: Date.now() - this.startedAt };
  }
}
