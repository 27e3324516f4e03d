// The child side of supervision, run inside a worker process that a supervisor forked: it sends a
// heartbeat every second from a timer (a blocked event loop sends none, which is how the
// supervisor sees a stuck worker), reports RSS and finished jobs, says when the worker is ready,
// and asks to be recycled after --max-jobs jobs. Lifecycle: start() before the job files load (so
// slow imports still heartbeat), ready() after the worker runs, stop() when the worker stopped.
// Invariant: it never stops the worker itself; the supervisor decides, and signals.

import type { MetricsSnapshot } from '../metrics/snapshot.ts';
import { type ChildMessage, METRICS_ENV, SUPERVISED_ENV } from './protocol.ts';

interface JobEvents {
  on(event: 'completed' | 'failed', listener: (job: { queue: string }) => void): unknown;
}

export function isSupervisedChild(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SUPERVISED_ENV] === '1' && typeof process.send === 'function';
}

/** The supervisor serves /metrics and wants this child's counters in its heartbeats. */
export function supervisorWantsMetrics(env: NodeJS.ProcessEnv = process.env): boolean {
  return isSupervisedChild(env) && env[METRICS_ENV] === '1';
}

export class SupervisorAgent {
  private jobs = 0;
  private readonly byQueue: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  private recycleAsked = false;
  private metrics: (() => MetricsSnapshot) | undefined;

  constructor(private readonly maxJobs: number | undefined) {}

  start(onOrphaned: () => void): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), 1_000);
    // The supervisor died (kill -9) or closed the channel: stop as if told to, so no worker
    // lives on unsupervised.
    process.once('disconnect', onOrphaned);
    // The supervisor may have died while this process was still loading: 'disconnect' fired then,
    // before anyone listened.
    if (!process.connected) setImmediate(onOrphaned);
    // Signals meant for the supervisor that reach the whole process group (a terminal hangup,
    // `kill -TTIN -<pgid>`) must not kill or stop the children.
    for (const signal of ['SIGHUP', 'SIGTTIN', 'SIGTTOU'] as const) process.on(signal, () => {});
  }

  /** Counts every job that ended (completed or failed for good), per queue. */
  watch(worker: JobEvents): void {
    const count = (job: { queue: string }) => {
      this.jobs++;
      this.byQueue[job.queue] = (this.byQueue[job.queue] ?? 0) + 1;
      if (this.maxJobs !== undefined && this.jobs >= this.maxJobs && !this.recycleAsked) {
        this.recycleAsked = true;
        this.send({ type: 'errand:recycle', reason: `max-jobs: ${this.jobs} jobs done (--max-jobs ${this.maxJobs})` });
      }
    };
    worker.on('completed', count);
    worker.on('failed', count);
  }

  /** Sends this snapshot with every heartbeat from now on. */
  reportMetrics(snapshot: () => MetricsSnapshot): void {
    this.metrics = snapshot;
  }

  ready(workerId: string): void {
    this.send({ type: 'errand:ready', workerId });
  }

  stop(): void {
    clearInterval(this.timer);
    this.beat();
    process.removeAllListeners('disconnect');
    if (process.connected) process.disconnect();
  }

  private beat(): void {
    const metrics = this.metrics?.();
    this.send({ type: 'errand:heartbeat', rss: process.memoryUsage.rss(), jobs: this.jobs, byQueue: { ...this.byQueue }, ...(metrics ? { metrics } : {}) });
  }

  private send(message: ChildMessage): void {
    // A failed send means the supervisor is gone; 'disconnect' handles that.
    if (process.connected) process.send!(message, undefined, {}, () => {});
  }
}
