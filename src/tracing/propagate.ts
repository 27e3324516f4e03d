// The trace context in and out of payloads. Injection asks the app's global propagator (the
// OTel SDKs register W3C trace context and baggage by default, as Ruby's SDK does), so whatever
// both sides are configured with crosses; without one, errand writes W3C `traceparent` /
// `tracestate` itself (w3c.ts), so a registered provider is all tracing needs. Extraction
// mirrors it: the global propagator over the payload's top-level string fields, else W3C.

import type * as Api from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent } from './w3c.ts';

type OtelApi = typeof Api;

const payloadGetter: Api.TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/** The fields to carry `context` (whose span is the enqueue's) in a payload. */
export function injectCarrier(api: OtelApi, context: Api.Context, span: Api.Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  api.propagation.inject(context, carrier);
  if (carrier.traceparent === undefined) {
    const own = span.spanContext();
    if (api.isSpanContextValid(own)) {
      carrier.traceparent = formatTraceparent(own.traceId, own.spanId, own.traceFlags);
      const state = own.traceState?.serialize();
      if (state) carrier.tracestate = state;
    }
  }
  return carrier;
}

/** The context a parsed payload carries (ROOT_CONTEXT plus its remote span, if any). */
export function extractContext(api: OtelApi, payload: Record<string, unknown>): Api.Context {
  const extracted = api.propagation.extract(api.ROOT_CONTEXT, payload, payloadGetter);
  if (api.trace.getSpanContext(extracted) !== undefined) return extracted;
  const parent = parseTraceparent(payload.traceparent, payload.tracestate);
  if (!parent) return extracted;
  return api.trace.setSpanContext(extracted, {
    traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags, isRemote: true,
    ...(parent.traceState ? { traceState: api.createTraceState(parent.traceState) } : {}),
  });
}
