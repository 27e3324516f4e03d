// A job's `timeout`: at the deadline its AbortSignal fires and the attempt ends with
// JobTimeoutError, even when the job ignores the signal, so its worker slot is free again and
// the outcome is recorded then. JavaScript cannot stop a promise: a job that ignores its signal
// goes on running in the background, and whatever it does later is ignored (no afterPerform, no
// second onFailure, no second outcome). Used by the worker and by inline mode alike.

import { JobTimeoutError } from '../errors.ts';

/** What hooks and the executor see of an attempt's deadline. */
export interface DeadlineView {
  /** True once the deadline passed: the attempt's outcome is the timeout, whatever it does later. */
  readonly expired: boolean;
}

export class Deadline implements DeadlineView {
  readonly signal: AbortSignal;
  readonly error: JobTimeoutError;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private expire!: (error: JobTimeoutError) => void;
  private readonly reached: Promise<never>;
  expired = false;

  /** Starts counting now. `parent` (the worker's stop signal) also aborts the job's signal. */
  constructor(readonly timeoutMs: number, parent?: AbortSignal) {
    this.signal = parent ? AbortSignal.any([parent, this.controller.signal]) : this.controller.signal;
    this.error = new JobTimeoutError(timeoutMs);
    this.reached = new Promise<never>((_, reject) => (this.expire = reject));
    this.reached.catch(() => {}); // rejected at the deadline even when nothing races it any more
    this.timer = setTimeout(() => {
      this.expired = true; // first, so the job's own reaction to the abort is already late
      this.controller.abort(this.error);
      this.expire(this.error);
    }, timeoutMs);
  }

  /**
   * `run`'s result, or JobTimeoutError at the deadline, whichever comes first. After the deadline
   * the outcome is always the timeout, even if `run` rejected in the same turn (as a job that
   * obeys its signal does), so hooks and the failed list see one clear reason.
   */
  async race<T>(run: Promise<T>): Promise<T> {
    const settled = run.then(
      (value) => (this.expired ? Promise.reject(this.error) : value),
      (error: unknown) => Promise.reject(this.expired ? this.error : error),
    );
    try {
      return await Promise.race([settled, this.reached]);
    } finally {
      clearTimeout(this.timer);
    }
  }
}
