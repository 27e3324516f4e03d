// Every error errand throws on purpose. Each has a stable `code` so callers can branch on it
// without string matching; messages say what went wrong and what to do instead.

export class ErrandError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Args (or a part of them) would not survive a JSON round trip. `path` names the culprit. */
export class NotJsonSafeError extends ErrandError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('ERR_NOT_JSON_SAFE', message);
    this.path = path;
  }
}

/**
 * A job's args failed its `args` schema (Standard Schema): at enqueue nothing is stored; in a
 * worker (a payload written by Ruby, the CLI or an older deploy) the job fails without a retry.
 * `path` is where the first issue is (`args[0].email`); `issues` are the schema's own.
 */
export class InvalidArgsError extends ErrandError {
  readonly path: string;
  constructor(readonly jobName: string, readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] | undefined }[], path: string, where?: string) {
    const first = issues[0]?.message ?? 'invalid';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
    super('ERR_INVALID_ARGS', `job ${jobName}${where ? ` (${where})` : ''}: invalid args at ${path}: ${first}${more}`);
    this.path = path;
  }
}

/**
 * A payload names a job class no worker here knows. A worker puts such a job back for a while
 * first (defaults.unknownJob); `waitedMs` says how long it waited for a worker that knows it.
 */
export class UnknownJobError extends ErrandError {
  constructor(readonly jobName: string, known: readonly string[], readonly waitedMs?: number) {
    const waited = waitedMs === undefined ? '' : ` No worker that knows it took it in the ${Math.round(waitedMs / 60_000)} min since one first found it unknown.`;
    super('ERR_UNKNOWN_JOB', `unknown job "${jobName}": this worker knows ${known.length ? known.join(', ') : 'no jobs'}. Load its definition with --require.${waited}`);
  }
}

/**
 * A job's retry function (`retryOn`, or `backoff` given as a function) threw while errand judged a
 * failed attempt: the job fails for good with this error, and the worker goes on. Its stack is
 * the thrown error's, so the failed list points at the user's code.
 */
export class RetryPolicyError extends ErrandError {
  constructor(readonly jobName: string, readonly option: 'retryOn' | 'backoff', cause: unknown, attemptError: string) {
    super('ERR_RETRY_POLICY', `retry.${option} of job ${jobName} threw ${describeThrown(cause)}; the attempt itself failed with ${attemptError}`, { cause });
    if (cause instanceof Error && typeof cause.stack === 'string') this.stack = `${this.name}: ${this.message}\n${cause.stack.split('\n').slice(1).join('\n')}`;
  }
}

function describeThrown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}

/** A payload read from a queue is not an errand/Resque job (not JSON, no class, args not an array). */
export class MalformedPayloadError extends ErrandError {
  constructor(message: string) {
    super('ERR_MALFORMED_PAYLOAD', message);
  }
}

/** A job ran past its `timeout`; its AbortSignal fired. */
export class JobTimeoutError extends ErrandError {
  constructor(readonly timeoutMs: number) {
    super('ERR_JOB_TIMEOUT', `job timed out after ${timeoutMs} ms`);
  }
}

/** Throw from perform to fail at once, skipping the remaining retries. */
export class UnrecoverableError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_UNRECOVERABLE', message, options);
  }
}

/** Bad configuration or arguments given to errand itself (queue names, durations, options). */
export class ConfigError extends ErrandError {
  constructor(message: string) {
    super('ERR_CONFIG', message);
  }
}

/** The store could not be reached or answered with an error. */
export class StoreError extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE', message, options);
  }
}

/** A job was in flight in too many worker deaths; it is moved to failed instead of killing more. */
export class PoisonJobError extends ErrandError {
  constructor(deaths: number) {
    super('ERR_POISON_JOB', `job was in flight when its worker died ${deaths} times: moved to failed so it stops killing workers`);
  }
}
