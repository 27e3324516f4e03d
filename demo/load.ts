// A small, bounded load against the demo app: the same mix of requests once with the slow work
// done inline and once handed to errand, then a table of latencies as a client sees them.
// Bounded concurrency keeps it a fair "a few users at once", not a stress test.

export type Mode = 'inline' | 'errand';

export interface Sample {
  mode: Mode;
  endpoint: string;
  /** As the client saw it. */
  ms: number;
  /** Inside the app's handler, as the app measured it (absent on errors). */
  serverMs?: number;
  status: number;
  jobId?: string;
  job?: string;
  output?: string;
}

const requests = [
  (i: number) => ({ endpoint: 'POST /signup', path: '/signup', body: { email: `user${i}@example.com` } }),
  (i: number) => ({ endpoint: 'POST /documents', path: '/documents', body: { title: `Quarterly report #${i}`, pages: 1 + (i % 8) } }),
  (i: number) => ({ endpoint: 'GET /weather', path: `/weather?city=${['Paris', 'Lagos', 'Osaka', 'Lima', 'Oslo'][i % 5]}`, body: undefined }),
];

async function one(base: string, mode: Mode, i: number): Promise<Sample> {
  const { endpoint, path, body } = requests[i % requests.length]!(i);
  const url = `${base}${path}${mode === 'inline' ? `${path.includes('?') ? '&' : '?'}inline=1` : ''}`;
  const started = performance.now();
  const response = await fetch(url, {
    method: body ? 'POST' : 'GET',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : null,
  });
  const answer = (await response.json()) as { jobId?: string; job?: string; output?: string; ms?: number };
  const ms = performance.now() - started;
  return { mode, endpoint, ms, serverMs: answer.ms, status: response.status, jobId: answer.jobId, job: answer.job, output: answer.output };
}

/** `count` requests, at most `concurrency` in flight at once. */
export async function runLoad(base: string, mode: Mode, count: number, concurrency: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  let next = 0;
  const client = async () => {
    while (next < count) samples.push(await one(base, mode, next++));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, client));
  return samples;
}

/** Nearest-rank percentile of milliseconds. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function ms(value: number): string {
  if (Number.isNaN(value)) return '-';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

/** One row per endpoint and one for all: p50/p95 and errors for each mode, side by side. */
export function latencyTable(samples: readonly Sample[]): string {
  const endpoints = [...requests.map((r) => r(0).endpoint), 'all requests'];
  const cells = (mode: Mode, endpoint: string) => {
    const mine = samples.filter((s) => s.mode === mode && (endpoint === 'all requests' || s.endpoint === endpoint));
    const ok = mine.filter((s) => s.status < 400).map((s) => s.ms);
    const all = mine.map((s) => s.ms);
    return [String(mine.length), ms(percentile(all, 50)), ms(percentile(all, 95)), String(mine.length - ok.length)];
  };
  const header = ['endpoint', 'n', 'p50', 'p95', 'errors', 'n', 'p50', 'p95', 'errors'];
  const rows = endpoints.map((endpoint) => [endpoint, ...cells('inline', endpoint), ...cells('errand', endpoint)]);
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  // Each mode's title sits over its four columns: widen the first of them if the title is longer.
  const inlineTitle = 'work done inline (?inline=1)';
  const block = () => widths.slice(1, 5).reduce((a, b) => a + b, 0) + 6;
  if (block() < inlineTitle.length + 2) widths[1] = widths[1]! + inlineTitle.length + 2 - block();
  const title = `${''.padEnd(widths[0]!)}  ${inlineTitle.padStart(block())}  ${'handed to errand'.padStart(block())}`;
  return [title, line(header), ...rows.map(line)].join('\n');
}
