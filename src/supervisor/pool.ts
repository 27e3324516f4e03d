// The pool: keeps `target` worker processes running. Lifecycle: start() → (scale, roll, forward
// signals) → stop(signal) resolves when every child has exited. Invariants: at most one rolling
// restart runs at a time (a second request queues one more pass); while stopping, nothing new
// starts; every start, exit and replacement reason is one log line; a child that exits without
// being asked is replaced at once, and a run of such exits backs off (CrashBackoff) instead of
// forking in a storm.

import type { Logger } from '../log.ts';
import { WorkerChild } from './child.ts';
import { CrashBackoff, formatBytes, STARTUP_GRACE_MS, STOP_MARGIN_MS, type PoolOptions } from './limits.ts';
import type { ChildMessage } from './protocol.ts';
import { PoolMetrics } from '../metrics/pool-metrics.ts';
import { isSnapshot } from '../metrics/snapshot.ts';

export class Pool {
  readonly children = new Set<WorkerChild>();
  readonly startedAt = Date.now();
  target: number;
  private stopping = false;
  private paused = false;
  private rolling: Promise<void> | undefined;
  private rollAgain: string | undefined;
  private respawnTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new CrashBackoff();
  private readonly checker: NodeJS.Timeout;
  /** Jobs finished by children that have exited, per queue, so pool totals never go down. */
  private readonly pastByQueue: Record<string, number> = {};
  /** The children's metrics, summed (served on --health-port's /metrics). */
  readonly metrics = new PoolMetrics();

  constructor(private readonly options: PoolOptions, private readonly log: Logger) {
    this.target = options.processes;
    this.checker = setInterval(() => this.checkLimits(), 500);
  }

  start(): void {
    this.log.info({ processes: this.target, maxMemory: this.options.maxMemoryBytes ?? null, stuckTimeoutMs: this.options.stuckTimeoutMs }, 'supervisor started');
    this.reconcile('pool start');
  }

  /** Children that are registered and taking jobs. */
  get ready(): WorkerChild[] {
    return [...this.children].filter((child) => child.state === 'up');
  }

  /** Jobs finished by the pool's children so far, per queue (exited children included). */
  jobsByQueue(): Record<string, number> {
    const totals = { ...this.pastByQueue };
    for (const child of this.children) for (const [queue, n] of Object.entries(child.byQueue)) totals[queue] = (totals[queue] ?? 0) + n;
    return totals;
  }

  /** TTIN / TTOU: one process more or less. */
  scale(delta: number, why: string): void {
    if (this.stopping) return;
    this.target = Math.max(0, this.target + delta);
    this.log.info({ processes: this.target }, `pool size now ${this.target} (${why})`);
    this.reconcile(why);
  }

  /** USR2 / CONT and friends: sent to every live child; pause is remembered for children started later. */
  forward(signal: NodeJS.Signals): void {
    if (signal === 'SIGUSR2') this.paused = true;
    if (signal === 'SIGCONT') this.paused = false;
    this.log.info({ signal, children: this.liveCount() }, `forwarding ${signal} to worker processes`);
    for (const child of this.children) child.signal(signal);
  }

  /**
   * Rolling restart (HUP, --watch): for each current child, start a new process, wait until it is
   * registered, then tell the old one to stop. Capacity never drops and no job is dropped (old
   * children finish or put back their jobs). If a new process fails to come up, the old ones stay.
   */
  restart(reason: string): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.rolling) {
      this.rollAgain = reason;
      return this.rolling;
    }
    this.rolling = this.roll(reason).finally(() => {
      this.rolling = undefined;
      this.reconcile('after rolling restart'); // a TTOU during the restart takes effect now
      const again = this.rollAgain;
      this.rollAgain = undefined;
      if (again !== undefined) void this.restart(again);
    });
    return this.rolling;
  }

  private async roll(reason: string): Promise<void> {
    const old = [...this.children].filter((child) => child.active);
    this.log.info({ reason, processes: old.length }, `rolling restart: ${reason}`);
    for (const child of old) {
      if (this.stopping) return;
      if (!child.active) continue; // it left on its own meanwhile; reconcile replaced it
      const fresh = this.spawn(`rolling restart (${reason}), replacing ${child.pid}`);
      if (!(await fresh.whenReady())) {
        if (this.stopping) return;
        this.log.error({ pid: fresh.pid }, 'rolling restart stopped: the new worker process exited before it was ready; the old ones keep running');
        return;
      }
      this.retire(child, `rolling restart (${reason}), replaced by ${fresh.pid}`);
    }
    this.log.info({ reason }, 'rolling restart done');
  }

  /** Stops every child with `signal` (TERM: within the deadline; QUIT: after running jobs) and waits. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    clearTimeout(this.respawnTimer);
    for (const child of this.children) child.retire(`supervisor got ${signal}`, signal);
    await Promise.all([...this.children].map((child) => child.exited));
    clearInterval(this.checker);
    this.log.info({}, 'supervisor: every worker process has exited');
  }

  /** A second INT: the children's second INT (force), too. */
  force(): void {
    for (const child of this.children) child.signal('SIGINT');
  }

  private liveCount(): number {
    return [...this.children].filter((child) => child.alive).length;
  }

  private reconcile(reason: string): void {
    if (this.stopping || this.respawnTimer) return;
    const active = [...this.children].filter((child) => child.active);
    // During a rolling restart the pool is one over target on purpose.
    if (!this.rolling) {
      for (const child of active.slice(this.target).reverse()) this.retire(child, `pool size lowered to ${this.target}`);
    }
    for (let n = active.length; n < this.target; n++) this.spawn(reason);
  }

  private spawn(reason: string): WorkerChild {
    const child = new WorkerChild(this.options.childArgs, (from, message) => this.onMessage(from, message), this.options.metrics);
    this.children.add(child);
    this.log.info({ child: child.pid, reason }, `worker process ${child.pid} started (${reason})`);
    void child.exited.then((exit) => this.onExit(child, exit.code, exit.signal));
    return child;
  }

  private onMessage(child: WorkerChild, message: ChildMessage): void {
    if (message.type === 'errand:heartbeat') {
      if (isSnapshot(message.metrics)) this.metrics.reported(child, message.metrics);
    } else if (message.type === 'errand:ready') {
      this.log.info({ child: child.pid, workerId: message.workerId }, `worker process ${child.pid} ready`);
      if (this.paused) child.signal('SIGUSR2');
    } else if (message.type === 'errand:recycle') {
      this.replace(child, message.reason);
    }
  }

  /** Graceful replacement for a limit: a fresh process starts now, the old one stops (TERM). */
  private replace(child: WorkerChild, reason: string): void {
    if (!child.active || this.stopping) return;
    this.retire(child, reason);
    this.reconcile(`replacing ${child.pid}: ${reason}`);
  }

  private retire(child: WorkerChild, reason: string): void {
    this.log.info({ child: child.pid, reason }, `stopping worker process ${child.pid}: ${reason}`);
    child.retire(reason);
  }

  private onExit(child: WorkerChild, code: number | null, signal: NodeJS.Signals | null): void {
    this.children.delete(child);
    this.metrics.exitedChild(child);
    for (const [queue, n] of Object.entries(child.byQueue)) this.pastByQueue[queue] = (this.pastByQueue[queue] ?? 0) + n;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const expected = child.retireReason !== undefined;
    const line = { child: child.pid, code, signal, reason: child.retireReason ?? 'unexpected', uptimeMs: Date.now() - child.startedAt };
    if (expected) this.log.info(line, `worker process ${child.pid} exited (${how}) after: ${child.retireReason}`);
    else this.log.warn(line, `worker process ${child.pid} exited unexpectedly (${how})`);
    if (this.stopping) return;
    if (expected) return this.reconcile(`replacing ${child.pid}: ${child.retireReason}`);
    const waitMs = this.backoff.crashed();
    if (waitMs === 0) return this.reconcile(`replacing ${child.pid}, which exited unexpectedly (${how})`);
    this.log.warn({ crashes: this.backoff.crashes, backoffMs: waitMs }, `crash loop: ${this.backoff.crashes} unexpected exits in a row; backing off ${waitMs} ms before starting another worker process`);
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = undefined;
      this.reconcile(`replacing ${child.pid} after crash-loop backoff`);
    }, waitMs);
  }

  /** Every 500 ms: memory over the limit → graceful replace; silent past the timeout → SIGKILL. */
  private checkLimits(): void {
    const now = Date.now();
    for (const child of this.children) {
      if (!child.alive || child.killed) continue;
      const { maxMemoryBytes, stuckTimeoutMs, shutdownTimeoutMs } = this.options;
      if (maxMemoryBytes !== undefined && child.active && child.rss > maxMemoryBytes) {
        this.replace(child, `memory: RSS ${formatBytes(child.rss)} over --max-memory ${formatBytes(maxMemoryBytes)}`);
      }
      const silentFor = now - (child.lastHeartbeatAt ?? child.startedAt);
      const limit = child.lastHeartbeatAt === undefined ? Math.max(stuckTimeoutMs, STARTUP_GRACE_MS) : stuckTimeoutMs;
      if (silentFor > limit) {
        this.log.warn({ child: child.pid, silentMs: silentFor }, `worker process ${child.pid} is stuck (no heartbeat for ${silentFor} ms): SIGKILL; its jobs return through crash recovery`);
        child.kill(`stuck: no heartbeat for ${silentFor} ms (--stuck-timeout ${stuckTimeoutMs} ms)`);
        if (!this.stopping) this.reconcile(`replacing stuck ${child.pid}`);
        continue;
      }
      const overdue = child.retiredAt !== undefined && child.retireSignal !== 'SIGQUIT' && now - child.retiredAt > shutdownTimeoutMs + STOP_MARGIN_MS;
      if (overdue) {
        this.log.warn({ child: child.pid }, `worker process ${child.pid} did not exit by its stop deadline: SIGKILL`);
        child.kill('past its stop deadline');
      }
    }
  }
}
