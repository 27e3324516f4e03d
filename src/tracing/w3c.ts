// W3C Trace Context (https://www.w3.org/TR/trace-context/) written and read by errand itself,
// for when the app registered a tracer provider but no propagator: jobs still carry
// `traceparent` / `tracestate` where Ruby's opentelemetry-instrumentation-resque reads them.
// With a W3C propagator registered (the OTel SDKs' default) the global propagator does this
// and these functions are not reached. Pure functions, no @opentelemetry/api import.

export interface W3cContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState: string | undefined;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;

/** version 00: `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The parent a `traceparent` names, or undefined when it is not one: a bad shape, version ff,
 * all-zero ids, or a version 00 header with extra fields (the spec's parsing rules).
 */
export function parseTraceparent(traceparent: unknown, tracestate: unknown): W3cContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), traceState: typeof tracestate === 'string' && tracestate !== '' ? tracestate : undefined };
}
