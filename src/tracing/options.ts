// createErrand({ tracing }): checked when the errand is created, so a typo fails there and not
// in a worker later. Also the names errand's spans carry that depend on the store (messaging.system).
// No @opentelemetry/api import here: this file is loaded whether or not the app has it.

import { ConfigError } from '../errors.ts';
import type { ReservedJob } from '../storage/types.ts';

export type Propagation = 'link' | 'child' | 'none';

export interface TracingOptions {
  /**
   * How a job's `process` span relates to the span that enqueued it (the trace context in the
   * payload), as opentelemetry-instrumentation-resque's `propagation_style`: 'link' (default) a
   * new trace with a span link to the enqueue; 'child' the same trace, a child of the enqueue;
   * 'none' a new trace and no link.
   */
  propagation?: Propagation;
  /** Also spans for retries and for a worker's batched reserve and settle round trips. Default false. */
  debug?: boolean;
}

export interface ResolvedTracing {
  readonly propagation: Propagation;
  readonly debug: boolean;
  /** 'resque' on Redis (the Resque protocol Ruby's gem names so too), 'errand' on SQLite. */
  readonly system: string;
}

const STYLES: readonly Propagation[] = ['link', 'child', 'none'];

/** undefined: tracing turned off (`tracing: false`). */
export function checkTracingOptions(options: TracingOptions | boolean | undefined, url: string): ResolvedTracing | undefined {
  if (options === false) return undefined;
  const given = options === undefined || options === true ? {} : options;
  if (given === null || typeof given !== 'object') throw new ConfigError(`createErrand({ tracing }) takes false or { propagation, debug }, got ${String(options)}`);
  const propagation = given.propagation ?? 'link';
  if (!STYLES.includes(propagation)) throw new ConfigError(`tracing.propagation must be 'link', 'child' or 'none', got ${JSON.stringify(propagation)}`);
  if (given.debug !== undefined && typeof given.debug !== 'boolean') throw new ConfigError(`tracing.debug must be true or false, got ${JSON.stringify(given.debug)}`);
  return { propagation, debug: given.debug ?? false, system: url.startsWith('sqlite:') ? 'errand' : 'resque' };
}

/** What the client and the worker call; implemented by tracing/spans.ts once @opentelemetry/api loaded. */
export interface JobTracer {
  readonly debug: boolean;
  /** True while a tracer provider is registered: a few property reads, no allocation. */
  on(): boolean;
  /** The PRODUCER span of one enqueue call; `fields` go into every payload it stores. */
  send(jobs: readonly { readonly id: string; readonly name: string; readonly queue: string }[], delayed: boolean): Sending;
  /** Runs one attempt inside its CONSUMER span, continuing the trace context its payload carries. */
  process<E extends Attempted>(reserved: ReservedJob, run: () => Promise<E>): Promise<E>;
}

export interface Sending {
  /** `,"traceparent":"…"` and the like, appended to each payload; '' when there is no context to carry. */
  readonly fields: string;
  /** Ends the span when the write settles: an error status if it rejected. Resolves or rejects as `write` does. */
  around<T>(write: Promise<T>): Promise<T>;
}

/** What a span needs to know of an attempt's end (worker/executor.ts's Execution has it). */
export interface Attempted {
  readonly outcome: { readonly kind: 'done' | 'retry' | 'failed'; readonly job?: { readonly runAt: number } };
  readonly info: { readonly name: string; readonly id: string; readonly attempt: number } | undefined;
  readonly error: unknown;
}
