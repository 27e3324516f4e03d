// `errand work --processes N`: the supervisor process. It owns a Pool, its signals, the optional
// health server and file watcher, and resolves with the exit code once every child has exited.
// Signals (after resque-pool):
//   TERM/INT  children get TERM (finish or put back within --shutdown-timeout), then exit 0;
//             a second INT forces (children get INT again, which forces them)
//   QUIT      children get QUIT (wait for running jobs however long), then exit 0
//   HUP       rolling restart: new processes (new code) up one at a time before old ones stop
//   TTIN/TTOU one process more / less
//   USR2/CONT forwarded: pause / resume taking jobs (remembered for processes started later)

import type { Logger } from '../log.ts';
import { HealthServer } from './health.ts';
import type { PoolOptions } from './limits.ts';
import { Pool } from './pool.ts';
import { FileWatcher } from './watch.ts';
import type { StoreSources } from '../metrics/store-gauges.ts';
import type { Registry } from 'prom-client';

export interface SuperviseOptions extends PoolOptions {
  healthPort?: number;
  /** --watch: rolling restart when these files' directories change. */
  watchFiles?: readonly string[];
  /** Where /metrics on the health port reads its store gauges; closed when the supervisor stops. */
  metricsStore?: StoreSources & { close(): Promise<void> };
}

export async function supervise(options: SuperviseOptions, log: Logger): Promise<number> {
  const served = options.healthPort !== undefined;
  const pool = new Pool({ ...options, metrics: served }, log);
  let registry: Promise<Registry> | undefined;
  // prom-client loads at the first scrape, not at start-up.
  const metrics = () => (registry ??= import('../metrics/registry.ts').then(({ buildRegistry }) =>
    buildRegistry({ snapshot: () => pool.metrics.snapshot(), ...(options.metricsStore ? { store: options.metricsStore } : {}) })));
  const health = new HealthServer(pool, metrics);
  if (options.healthPort !== undefined) {
    const port = await health.listen(options.healthPort);
    log.info({ port }, `health endpoints on http://0.0.0.0:${port}/healthz and /readyz`);
  }
  let watcher: FileWatcher | undefined;
  if (options.watchFiles && options.watchFiles.length > 0) {
    watcher = new FileWatcher(options.watchFiles, (files) => void pool.restart(`files changed: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`));
    watcher.start();
    log.info({ directories: watcher.directories }, 'watching for changes (--watch): workers restart when files change');
  }

  return new Promise<number>((resolve) => {
    let stopping: NodeJS.Signals | undefined;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        if (signal === 'SIGINT') {
          log.warn({ signal }, 'second SIGINT: forcing worker processes to exit now');
          pool.force();
        }
        return;
      }
      stopping = signal;
      const childSignal = signal === 'SIGQUIT' ? 'SIGQUIT' : 'SIGTERM';
      log.info({ signal }, `supervisor got ${signal}: stopping worker processes with ${childSignal}`);
      watcher?.close();
      void pool.stop(childSignal).then(async () => {
        await health.close();
        await options.metricsStore?.close().catch(() => {});
        for (const [name, handler] of handlers) process.off(name, handler);
        log.info({}, 'supervisor stopped');
        resolve(0);
      });
    };
    const handlers: [NodeJS.Signals, () => void][] = [
      ['SIGTERM', () => stop('SIGTERM')],
      ['SIGINT', () => stop('SIGINT')],
      ['SIGQUIT', () => stop('SIGQUIT')],
      ['SIGHUP', () => void pool.restart('SIGHUP')],
      ['SIGTTIN', () => pool.scale(1, 'SIGTTIN')],
      ['SIGTTOU', () => pool.scale(-1, 'SIGTTOU')],
      ['SIGUSR2', () => pool.forward('SIGUSR2')],
      ['SIGCONT', () => pool.forward('SIGCONT')],
    ];
    for (const [name, handler] of handlers) process.on(name, handler);
    pool.start();
  });
}
