import { SqliteStore } from '../src/storage/sqlite/store.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const path = join(mkdtempSync(join(tmpdir(), 'errand-bench-')), 'b.db');
const s = SqliteStore.open({ path, busyTimeoutMs: 5000 });
const N = 200_000, BATCH = Number(process.argv[2] ?? 500);
const payload = (i: number) => JSON.stringify({ class: 'Noop', args: [i, 'some text here'], id: `id-${i}`, queue: 'default', enqueued_at: Date.now() / 1000 });
let t = performance.now();
for (let i = 0; i < N; i += 10_000) await s.push(Array.from({ length: 10_000 }, (_, j) => ({ queue: 'default', payload: payload(i + j) })));
console.log(`push: ${Math.round(N / ((performance.now() - t) / 1000))} jobs/s (10k per tx)`);
await s.register({ id: 'h:1:default', queues: ['default'], startedAt: new Date() });
t = performance.now();
let n = 0;
for (;;) {
  const jobs = await s.reserve('h:1:default', ['default'], BATCH);
  if (jobs.length === 0) break;
  n += jobs.length;
  await s.settle('h:1:default', jobs.map((j) => ({ token: j.token, kind: 'done' as const })));
}
console.log(`reserve+settle: ${Math.round(n / ((performance.now() - t) / 1000))} jobs/s (batch ${BATCH}), n=${n}`);
console.log((await s.admin().stats()).processed);
await s.close();
