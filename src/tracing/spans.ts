// errand's spans, named and attributed per OpenTelemetry's messaging semantic conventions:
// a PRODUCER `create <queue>` span per enqueue call (one for a bulk enqueue, with
// messaging.batch.message_count; every payload of it carries its context) and a CONSUMER
// `process <queue>` span around each attempt (hooks and perform run inside it, so the job's own
// spans are its children), related to the enqueue per `propagation` (link, child or none, as
// Ruby's opentelemetry-instrumentation-resque). With `debug`, a `retry <queue>` span per retry.
// Built only once @opentelemetry/api loaded (load.ts); every method first asks on(), so
// with no tracer provider registered nothing is allocated.

import type * as Api from '@opentelemetry/api';
import type { ReservedJob } from '../storage/types.ts';
import { errorClassName, errorMessage } from '../worker/failure.ts';
import type { Attempted, JobTracer, ResolvedTracing, Sending } from './options.ts';
import { extractContext, injectCarrier } from './propagate.ts';
import { encodeTraceFields } from '../job/payload.ts';

type OtelApi = typeof Api;

export class JobTracing implements JobTracer {
  readonly debug: boolean;
  private readonly tracer: Api.Tracer;
  /** The API's no-op provider: what the global proxy delegates to until an SDK registers one. */
  private readonly noop: Api.TracerProvider;
  private readonly jobClassKey: string;
  private readonly attemptKey: string;
  private readonly delayedKey: string;

  constructor(private readonly api: OtelApi, private readonly options: ResolvedTracing) {
    this.debug = options.debug;
    this.tracer = api.trace.getTracer('errand');
    this.noop = new api.ProxyTracerProvider().getDelegate();
    // System-specific attributes go under messaging.<system>; Ruby's gem names the class so too.
    this.jobClassKey = `messaging.${options.system}.job_class`;
    this.attemptKey = `messaging.${options.system}.attempt`;
    this.delayedKey = `messaging.${options.system}.delayed`;
  }

  on(): boolean {
    const provider = this.api.trace.getTracerProvider() as Api.ProxyTracerProvider;
    return (typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider) !== this.noop;
  }

  send(jobs: readonly { readonly id: string; readonly name: string; readonly queue: string }[], delayed: boolean): Sending {
    const { api } = this;
    const first = jobs[0]!;
    const attributes: Api.Attributes = {
      'messaging.system': this.options.system,
      'messaging.operation.type': 'create',
      'messaging.operation.name': 'create',
      'messaging.destination.name': first.queue,
      [this.jobClassKey]: first.name,
    };
    if (jobs.length === 1) attributes['messaging.message.id'] = first.id;
    else attributes['messaging.batch.message_count'] = jobs.length;
    if (delayed) attributes[this.delayedKey] = true;
    const span = this.tracer.startSpan(`create ${first.queue}`, { kind: api.SpanKind.PRODUCER, attributes });
    const fields = encodeTraceFields(injectCarrier(api, api.trace.setSpan(api.context.active(), span), span));
    return {
      fields,
      around: <T>(write: Promise<T>) =>
        write.then(
          (value) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            failed(api, span, error);
            span.end();
            throw error;
          },
        ),
    };
  }

  process<E extends Attempted>(reserved: ReservedJob, run: () => Promise<E>): Promise<E> {
    const { api, options } = this;
    // The payload is parsed once more here (the executor parses it too): only while tracing.
    const payload = parseObject(reserved.payload);
    const carried = payload ? extractContext(api, payload) : api.ROOT_CONTEXT;
    const remote = api.trace.getSpanContext(carried);
    const attributes: Api.Attributes = {
      'messaging.system': options.system,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': reserved.queue,
    };
    // The id the executor gives the job: the payload's, or resque-<token> for one Ruby wrote.
    attributes['messaging.message.id'] = typeof payload?.id === 'string' ? payload.id : `resque-${reserved.token}`;
    if (typeof payload?.class === 'string') attributes[this.jobClassKey] = payload.class;
    const spanOptions: Api.SpanOptions = { kind: api.SpanKind.CONSUMER, attributes };
    if (options.propagation !== 'child') {
      spanOptions.root = true;
      if (options.propagation === 'link' && remote && api.isSpanContextValid(remote)) spanOptions.links = [{ context: remote }];
    }
    const span = this.tracer.startSpan(`process ${reserved.queue}`, spanOptions, carried);
    // Baggage the payload carried stays current in every style; the span replaces the remote one.
    const active = api.trace.setSpan(carried, span);
    return api.context.with(active, run).then(
      (attempted) => {
        this.finish(span, active, reserved.queue, attempted);
        return attempted;
      },
      (error: unknown) => {
        failed(api, span, error);
        span.end();
        throw error;
      },
    );
  }

  private finish(span: Api.Span, active: Api.Context, queue: string, { outcome, info, error }: Attempted): void {
    if (info) span.setAttribute(this.attemptKey, info.attempt);
    if (outcome.kind !== 'done' && error !== undefined) failed(this.api, span, error);
    if (this.debug && outcome.kind === 'retry' && info && outcome.job) {
      const retry = this.tracer.startSpan(`retry ${queue}`, {
        kind: this.api.SpanKind.INTERNAL,
        attributes: {
          'messaging.system': this.options.system, 'messaging.destination.name': queue, 'messaging.message.id': info.id,
          [this.jobClassKey]: info.name, [this.attemptKey]: info.attempt + 1, [`messaging.${this.options.system}.retry_delay_ms`]: Math.max(0, Math.round(outcome.job.runAt - Date.now())),
        },
      }, active);
      retry.end();
    }
    span.end();
  }
}

/** error.type (the error's class, as the failed list names it), an exception event and an error status. */
function failed(api: OtelApi, span: Api.Span, error: unknown): void {
  span.setAttribute('error.type', errorClassName(error));
  span.recordException(error instanceof Error ? error : { name: errorClassName(error), message: errorMessage(error) });
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: errorMessage(error) });
}

function parseObject(payload: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(payload);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
