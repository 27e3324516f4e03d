// A job's `timeout`: its AbortSignal fires at the deadline and the attempt rejects with
// JobTimeoutError then, even when the job ignores the signal, so nothing waits on it past the
// deadline. Used by the worker and by inline mode alike.

import { JobTimeoutError } from '../errors.ts';

/** A signal for the job's context: aborted by withTimeout() at the deadline, or with `parent`. */
export function deadlineSignal(parent: AbortSignal | undefined): { signal: AbortSignal; controller: AbortController } {
  const controller = new AbortController();
  return { controller, signal: parent ? AbortSignal.any([parent, controller.signal]) : controller.signal };
}

/** Rejects with JobTimeoutError at the deadline (aborting `controller`) unless `run` settles first. */
export function withTimeout<T>(run: Promise<T>, timeoutMs: number, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new JobTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  return Promise.race([run, deadline]).finally(() => clearTimeout(timer));
}
