// The one place @opentelemetry/api is imported: a guarded dynamic import, once per process,
// started by createErrand() unless `tracing: false`. The package is an optional peer dependency:
// when it is not installed the import fails once, quietly, and errand traces nothing (the
// client and the worker then hold no tracer at all, so enqueue and perform check one field).

import type * as Api from '@opentelemetry/api';
import type { Store } from '../storage/types.ts';
import type { JobTracer, ResolvedTracing } from './options.ts';
import { JobTracing } from './spans.ts';
import { storeWithRoundTripSpans } from './debug-store.ts';

let loading: Promise<typeof Api | undefined> | undefined;

function loadApi(): Promise<typeof Api | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (module) => module as typeof Api,
    () => undefined,
  );
  return loading;
}

export interface LoadedTracing {
  readonly tracer: JobTracer;
  /** The store a worker uses: with debug spans around reserve and settle, or the store itself. */
  workerStore(store: Store): Store;
}

/** undefined when @opentelemetry/api is not installed. */
export async function loadTracing(options: ResolvedTracing): Promise<LoadedTracing | undefined> {
  const api = await loadApi();
  if (!api?.trace || !api.ProxyTracerProvider) return undefined;
  const tracer = new JobTracing(api, options);
  return {
    tracer,
    workerStore: (store) => (options.debug ? storeWithRoundTripSpans(api, tracer, options, store) : store),
  };
}
