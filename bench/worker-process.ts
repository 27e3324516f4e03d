// The main process's handle on one worker child (child.ts): fork it with tsx, send commands,
// await replies by type. A child that errors or exits early rejects every pending wait, and a
// wait that takes longer than `timeoutMs` rejects too, so one broken system cannot hang the run.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildCommand, ChildConfig, ChildMessage } from './protocol.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
type Of<T extends ChildMessage['type']> = Extract<ChildMessage, { type: T }>;

export class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private failure: Error | undefined;

  constructor(readonly config: ChildConfig) {
    // BENCH_CPU_PROF=<dir> profiles every worker child (node --cpu-prof), to see where time goes.
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    this.child = fork(CHILD, [JSON.stringify(config)], { execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: ChildMessage) => {
      if (message.type === 'error') this.failure = new Error(`${config.system} worker: ${message.message}`);
      else this.inbox.push(message);
      this.notify();
    });
    this.child.on('exit', (code) => {
      this.failure ??= new Error(`${config.system} worker exited (code ${code}) before answering`);
      this.notify();
    });
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  send(command: ChildCommand): void {
    this.child.send(command);
  }

  /** The next message of this type (messages are kept until taken). */
  next<T extends ChildMessage['type']>(type: T, timeoutMs = 120_000): Promise<Of<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${this.config.system} worker: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const index = this.inbox.findIndex((message) => message.type === type);
        if (index >= 0) return finish(undefined, this.inbox.splice(index, 1)[0] as Of<T>);
        if (this.failure) finish(this.failure);
      };
      const finish = (error?: Error, message?: Of<T>) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve(message!);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Stops the consumer; the child reports every job it counted. Kills it if it does not answer. */
  async stop(): Promise<Of<'stopped'>> {
    this.send({ cmd: 'stop' });
    try {
      return await this.next('stopped', 30_000);
    } finally {
      this.kill();
    }
  }

  kill(): void {
    const alive = () => this.child.exitCode === null && this.child.signalCode === null;
    setTimeout(() => alive() && this.child.kill('SIGKILL'), 1_000).unref();
  }
}
