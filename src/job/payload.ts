// The job payload: the JSON Ruby Resque writes ({"class","args"} first, in that order) plus
// fields Resque ignores (id, queue, enqueued_at, attempt, errors, and unknown_since /
// unknown_deferrals while a job no worker here knows waits for one that does, and when traced the
// propagator's traceparent / tracestate, where Ruby's OTel gem puts them). encode() is on the hot path of
// every enqueue, so it writes the string directly; decode() accepts anything a queue may hold and
// throws MalformedPayloadError for what is not a job.

import { randomUUID } from 'node:crypto';
import { MalformedPayloadError } from '../errors.ts';

/** One earlier attempt's failure, kept in the payload while a job is retried. */
export interface AttemptError {
  attempt: number;
  at: string;
  exception: string;
  error: string;
}

export interface DecodedJob {
  name: string;
  args: unknown[];
  /** The payload's own id, or undefined for payloads Ruby Resque wrote. */
  id: string | undefined;
  queue: string | undefined;
  enqueuedAt: number | undefined;
  attempt: number;
  errors: AttemptError[];
  /** Epoch ms when a worker first found it did not know this job (unknown_since), if one did. */
  unknownSince: number | undefined;
  /** How often it was put back for that reason (unknown_deferrals). */
  unknownDeferrals: number;
  /** The schedule tick this run is for, when a schedule enqueued it. */
  schedule: { name: string; tick: number; caughtUp: boolean } | undefined;
  /** The parsed object, kept so re-encoding preserves fields other tools added. */
  raw: Record<string, unknown>;
}

const ID_TAIL_RANGE = 2 ** 48;

/**
 * Ids for one batch of jobs: a fresh random UUID, its last 48 bits counting up per job. Every id
 * is still a well-formed v4 UUID and unique (74 random bits per batch, then a counter), at a
 * fraction of randomUUID()'s cost per job — bulk enqueue makes one per job.
 */
export function jobIdSequence(): () => string {
  const seed = randomUUID();
  const head = seed.slice(0, 24);
  let tail = Number.parseInt(seed.slice(24), 16);
  return () => {
    tail = (tail + 1) % ID_TAIL_RANGE;
    return head + tail.toString(16).padStart(12, '0');
  };
}

/** Ids for `count` jobs: randomUUID() itself for one (cheaper than setting up a sequence), a sequence for more. */
export function jobIdSource(count: number): () => string {
  return count === 1 ? randomUUID : jobIdSequence();
}

/**
 * name and queue are validated identifiers, so they need no escaping. `traceFields` (from
 * encodeTraceFields, '' when not tracing) is appended after errand's own fields.
 */
export function encodePayload(name: string, argsJson: string, id: string, queue: string, enqueuedAt: number, traceFields = ''): string {
  return `{"class":"${name}","args":${argsJson},"id":"${id}","queue":"${queue}","enqueued_at":${enqueuedAt},"attempt":1${traceFields}}`;
}

/**
 * encodePayload() for many jobs that share name, queue and enqueue time: the constant parts are
 * joined once, so each payload is four concatenations (bulk enqueue encodes one per job).
 */
export function payloadEncoder(name: string, queue: string, enqueuedAt: number, traceFields = ''): (argsJson: string, id: string) => string {
  const head = `{"class":"${name}","args":`;
  const tail = `","queue":"${queue}","enqueued_at":${enqueuedAt},"attempt":1${traceFields}}`;
  return (argsJson, id) => head + argsJson + ',"id":"' + id + tail;
}

/** Top-level keys of errand's and Resque's own: a propagator's carrier may not overwrite them. */
const PAYLOAD_KEYS = new Set(['class', 'args', 'id', 'queue', 'enqueued_at', 'attempt', 'errors', 'unknown_since', 'unknown_deferrals', 'schedule']);

/**
 * The trace context an OTel propagator wrote into `carrier` (W3C: `traceparent`, `tracestate`),
 * as top-level payload fields: `,"traceparent":"00-…","tracestate":"…"`. That is where Ruby's
 * opentelemetry-instrumentation-resque injects it (into the `{class, args}` hash Resque encodes)
 * and extracts it (from the decoded payload), so traces cross between Ruby and errand either way.
 * Resque ignores the extra keys; retries and put-backs keep them (they keep every field).
 */
export function encodeTraceFields(carrier: Readonly<Record<string, string>>): string {
  let fields = '';
  for (const key in carrier) {
    const value = carrier[key];
    if (typeof value === 'string' && !PAYLOAD_KEYS.has(key)) fields += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return fields;
}

/** Shared by every first attempt: most jobs never fail, so they need no array of their own. */
const NO_ERRORS: AttemptError[] = Object.freeze([]) as unknown as AttemptError[];

export function decodePayload(payload: string): DecodedJob {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch (error) {
    throw new MalformedPayloadError(`payload is not JSON (${(error as Error).message}): ${preview(payload)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MalformedPayloadError(`payload is not a JSON object: ${preview(payload)}`);
  const job = raw as Record<string, unknown>;
  if (typeof job.class !== 'string' || job.class === '') throw new MalformedPayloadError(`payload has no "class" naming the job: ${preview(payload)}`);
  const args = job.args === undefined ? [] : job.args;
  if (!Array.isArray(args)) throw new MalformedPayloadError(`payload "args" is not an array: ${preview(payload)}`);
  return {
    name: job.class,
    args,
    id: typeof job.id === 'string' ? job.id : undefined,
    queue: typeof job.queue === 'string' ? job.queue : undefined,
    enqueuedAt: typeof job.enqueued_at === 'number' ? job.enqueued_at : undefined,
    attempt: typeof job.attempt === 'number' && job.attempt >= 1 ? job.attempt : 1,
    errors: Array.isArray(job.errors) ? (job.errors as AttemptError[]) : NO_ERRORS,
    unknownSince: typeof job.unknown_since === 'number' ? job.unknown_since : undefined,
    unknownDeferrals: typeof job.unknown_deferrals === 'number' ? job.unknown_deferrals : 0,
    schedule: scheduleOf(job.schedule),
    raw: job,
  };
}

/**
 * The payload for the next attempt: same fields, attempt + 1, this attempt's error appended. A
 * job that ran was known, so an earlier wait for a worker that knows it is forgotten.
 */
export function encodeRetry(job: DecodedJob, id: string, error: AttemptError): string {
  const { unknown_since: _since, unknown_deferrals: _deferrals, ...rest } = job.raw;
  return JSON.stringify({ ...rest, id, attempt: job.attempt + 1, errors: [...job.errors, error] });
}

/**
 * The same job put back unrun because this worker does not know it: `class` and `args` first as
 * Resque writes them, every other field kept (attempt unchanged: no attempt was spent), and the
 * wait recorded in unknown_since / unknown_deferrals.
 */
export function encodeUnknownDeferral(job: DecodedJob, since: number, deferrals: number): string {
  const { class: _class, args: _args, ...rest } = job.raw;
  return JSON.stringify({ class: job.name, args: job.args, ...rest, unknown_since: since, unknown_deferrals: deferrals });
}

/** A payload put back from failed: a fresh first attempt of the same job (and a fresh wait, if unknown). */
export function encodeRequeue(raw: Record<string, unknown>): string {
  const { errors: _errors, attempt: _attempt, unknown_since: _since, unknown_deferrals: _deferrals, ...rest } = raw;
  return JSON.stringify({ ...rest, attempt: 1 });
}

/**
 * The payload of a schedule's run: a first attempt as encodePayload() writes it, plus
 * `schedule: {name, tick, caught_up}` (Resque ignores it), which becomes ctx.schedule.
 */
export function encodeScheduledRun(name: string, argsJson: string, id: string, queue: string, enqueuedAt: number, schedule: { name: string; tick: number; caughtUp: boolean }): string {
  const head = encodePayload(name, argsJson, id, queue, enqueuedAt);
  return `${head.slice(0, -1)},"schedule":{"name":${JSON.stringify(schedule.name)},"tick":${schedule.tick},"caught_up":${schedule.caughtUp}}}`;
}

function scheduleOf(value: unknown): DecodedJob['schedule'] {
  if (value === null || typeof value !== 'object') return undefined;
  const s = value as Record<string, unknown>;
  return typeof s.name === 'string' && typeof s.tick === 'number' ? { name: s.name, tick: s.tick, caughtUp: s.caught_up === true } : undefined;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
