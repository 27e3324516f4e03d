// What the dashboard accepts from a request, with every bound in one place: page numbers and
// sizes are capped, filters and names are length-limited, and anything else is a clear 400.

import type { FailedFilter } from '../storage/types.ts';
import { METRIC_WINDOWS, type MetricWindow } from '../storage/job-metrics.ts';

export const LIMITS = {
  pageSize: 25,
  maxPageSize: 100,
  maxPage: 100_000,
  /** Filter fields (class, queue, error text). */
  maxFilter: 200,
  /** A queue name in a URL; longer names cannot be opened (Node caps the request line at 16 kB anyway). */
  maxName: 4_096,
  /** A job id in a URL (errand's are UUIDs; a longer one is refused, not looked up). */
  maxJobId: 512,
  maxIndex: 1e12,
  /** A POST body (forms carry a filter and a few ids). */
  maxFormBytes: 64 * 1024,
} as const;

export class BadInput extends Error {}

function integer(text: string | undefined, name: string, fallback: number, max: number, min = 0): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,13}$/.test(text)) throw new BadInput(`${name} must be a whole number, got ${JSON.stringify(text.slice(0, 40))}`);
  const n = Number(text);
  if (n < min || n > max) throw new BadInput(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The Metrics page's window in minutes: 60 (the default), 480 or 1440. */
export function metricWindowOf(text: string | undefined): MetricWindow {
  if (text === undefined || text === '') return 60;
  if (!Object.hasOwn(METRIC_WINDOWS, text)) throw new BadInput(`window must be one of ${Object.keys(METRIC_WINDOWS).join(', ')} (minutes), got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text) as MetricWindow;
}

export function paging(query: (name: string) => string | undefined): { page: number; size: number } {
  return { page: integer(query('page'), 'page', 0, LIMITS.maxPage), size: integer(query('size'), 'size', LIMITS.pageSize, LIMITS.maxPageSize, 1) };
}

export function filterOf(get: (name: string) => unknown): FailedFilter {
  const field = (name: string) => {
    const value = get(name);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new BadInput(`${name} must be text`);
    if (value.length > LIMITS.maxFilter) throw new BadInput(`${name} is longer than ${LIMITS.maxFilter} characters`);
    return value;
  };
  return { class: field('class'), queue: field('queue'), error: field('error') };
}

export function nameOf(text: string): string {
  if (text.length === 0 || text.length > LIMITS.maxName) throw new BadInput(`a queue name must have 1 to ${LIMITS.maxName} characters`);
  return text;
}

/** A job id from /jobs/:id: any text (ids are attacker-controlled), length-capped before any lookup. */
export function jobIdOf(text: string): string {
  if (text.length === 0 || text.length > LIMITS.maxJobId) throw new BadInput(`a job id must have 1 to ${LIMITS.maxJobId} characters`);
  return text;
}

/** Where a job look-up goes on from (a store's own token; one it did not make starts over). */
export function resumeOf(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length > LIMITS.maxName + 64) throw new BadInput('from is too long');
  return text;
}

/** An entry named by position and digest (see format.refOf). */
export function entryRef(get: (name: string) => unknown): { index: number; ref: string } {
  const i = get('i');
  const ref = get('ref');
  if (typeof ref !== 'string' || !/^[0-9a-f]{16}$/.test(ref)) throw new BadInput('ref must be the 16-hex-digit digest the page gave');
  return { index: integer(typeof i === 'string' ? i : undefined, 'i', -1, LIMITS.maxIndex), ref };
}
