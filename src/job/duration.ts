// Parses the durations users write: '30s', '5m', '1h30m', '250ms', or a number of milliseconds.

import { ConfigError } from '../errors.ts';

export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

export function toMs(duration: Duration, what = 'duration'): number {
  if (typeof duration === 'number') {
    if (Number.isFinite(duration) && duration >= 0) return duration;
    throw new ConfigError(`${what} must be a finite number of milliseconds >= 0, got ${duration}`);
  }
  const text = String(duration).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(PART)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new ConfigError(`${what} "${duration}" is not a duration: use milliseconds or forms like '250ms', '30s', '5m', '1h30m', '2d'`);
  }
  return total;
}
