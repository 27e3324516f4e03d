// Wall-clock arithmetic in an IANA zone, for cron ticks across DST. A wall time is kept as a
// "fake UTC" number: the epoch ms a UTC clock would show for the same Y-M-D h:m:s, so a cron
// can be matched against it with croner in UTC and compared with plain numbers. Pure functions;
// no state beyond a cache of one formatter per zone.
//
// Invariant: zones move their offset by less than 3 hours at a time (every DST rule in tzdb
// does), so a transition near an instant is always found within 3 hours of it.

const WINDOW = 3 * 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall time at instant `t` in `zone`, as fake-UTC ms (milliseconds carried over). */
export function wallAt(zone: string, t: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const ms = ((t % 1000) + 1000) % 1000;
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + ms;
}

const offsetAt = (zone: string, t: number): number => wallAt(zone, t) - t;

/** The first instant in (lo, hi] whose offset is the one at hi (lo's offset differs), to the ms. */
function transitionIn(zone: string, lo: number, hi: number): number {
  const target = offsetAt(zone, hi);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid) === target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Where wall time `wall` (fake UTC) falls: the instant that shows it; for a wall time shown
 * twice (fall back), the first of the two; for one never shown (spring forward), the end of
 * the gap, the first instant after it.
 */
export function placeWall(zone: string, wall: number): number {
  // An instant showing `wall` is wall - offset, for an offset the zone has near there.
  const guess = wall - offsetAt(zone, wall);
  const candidates = new Set<number>();
  for (const probe of [guess - WINDOW, guess, guess + WINDOW]) candidates.add(wall - offsetAt(zone, probe));
  const exact = [...candidates].filter((t) => wallAt(zone, t) === wall).sort((a, b) => a - b);
  if (exact.length > 0) return exact[0]!;
  // In a gap: candidates straddle the transition (offset before it is the smaller one).
  const sorted = [...candidates].sort((a, b) => a - b);
  return transitionIn(zone, sorted[0]!, sorted[sorted.length - 1]!);
}
