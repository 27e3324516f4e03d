// Process signals for a worker process (after Resque): TERM/INT stop gracefully within
// the shutdown deadline; a second INT forces; QUIT waits for running jobs however long they take;
// USR2 pauses taking jobs, CONT resumes. Returns a function that removes the handlers.

import type { Logger } from '../log.ts';

export interface Stoppable {
  stop(options?: { timeout?: number }): Promise<void>;
  pause(): void;
  resume(): void;
}

export function installSignalHandlers(target: Stoppable, log: Logger, onStopped: (code: number) => void): () => void {
  let stopping = false;
  const stop = (signal: string, timeout?: number) => {
    if (stopping) {
      if (signal === 'SIGINT') {
        log.warn({ signal }, 'second SIGINT: exiting now; held jobs return through crash recovery');
        onStopped(1);
      }
      return;
    }
    stopping = true;
    log.info({ signal }, timeout === Infinity ? 'stopping after running jobs finish' : 'stopping gracefully');
    target.stop(timeout === undefined ? {} : { timeout }).then(() => onStopped(0), (error) => {
      log.error({ err: error }, 'error while stopping');
      onStopped(1);
    });
  };
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGTERM', () => stop('SIGTERM')],
    ['SIGINT', () => stop('SIGINT')],
    ['SIGQUIT', () => stop('SIGQUIT', Infinity)],
    ['SIGUSR2', () => target.pause()],
    ['SIGCONT', () => target.resume()],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
