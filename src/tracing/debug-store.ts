// tracing: { debug: true } only: a worker's store seen through a proxy that puts a CLIENT span
// around each batched round trip of the hot path, `receive` (reserve: up to a thousand jobs
// taken at once) and `settle` (their outcomes written at once), with the batch size. Every
// other member passes through to the store itself, bound to it (so its own state stays its own).

import type * as Api from '@opentelemetry/api';
import type { Outcome, Store } from '../storage/types.ts';
import type { JobTracer, ResolvedTracing } from './options.ts';

type OtelApi = typeof Api;

export function storeWithRoundTripSpans(api: OtelApi, tracer: JobTracer, options: ResolvedTracing, store: Store): Store {
  const spans = api.trace.getTracer('errand');
  const around = async <T>(name: string, operation: 'receive' | 'settle', queues: string, run: () => Promise<T>, count: (result: T) => number): Promise<T> => {
    if (!tracer.on()) return run();
    const span = spans.startSpan(name, {
      kind: api.SpanKind.CLIENT, root: true,
      attributes: { 'messaging.system': options.system, 'messaging.operation.type': operation, 'messaging.operation.name': operation, 'messaging.destination.name': queues },
    });
    try {
      const result = await run();
      span.setAttribute('messaging.batch.message_count', count(result));
      return result;
    } catch (error) {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  };
  const reserve: Store['reserve'] = (workerId, queues, max, startNow) => {
    const label = queues === '*' ? '*' : queues.join(',');
    return around(`receive ${label}`, 'receive', label, () => store.reserve(workerId, queues, max, startNow), (jobs) => jobs.length);
  };
  const settle: Store['settle'] = (workerId, outcomes: readonly Outcome[], startedUpTo) => {
    const queues = [...new Set(outcomes.map((outcome) => outcome.queue ?? ''))].join(',');
    return around(`settle ${queues}`, 'settle', queues, () => store.settle(workerId, outcomes, startedUpTo), () => outcomes.length);
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'reserve') return reserve;
      if (property === 'settle') return settle;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
