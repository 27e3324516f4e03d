// What loading errand costs a process that only enqueues or works: the dashboard's pages and
// Hono load on createDashboard(), and pino-pretty only for a terminal, so a worker or a web app
// that enqueues does not load them (they were half of errand's load time, ~90 of its modules).
// Checked on the built package (the CommonJS copy every install runs), in a fresh process whose
// stdout is a pipe, by the modules in require's cache. Regressions caught: a static import of
// hono or pino-pretty on errand's load path; createDashboard() no longer serving pages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/cli-harness.ts';

/** The test build's dist/ under npm test; else a build of this checkout made for this file. */
function builtIndex(t: { after(fn: () => void): void }): string {
  const testBuild = join(ROOT, '.test-build', 'dist', 'index.js');
  if (process.env.ERRAND_TEST_BUILD === '1' && existsSync(testBuild)) return testBuild;
  // Inside the checkout, so the build finds the checkout's node_modules.
  const dir = mkdtempSync(join(ROOT, '.test-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.js'), '--transpile-only', join(dir, 'dist')], { stdio: 'ignore' });
  return join(dir, 'dist', 'index.js');
}

const loadedPackages = `const loaded = () => [...new Set(Object.keys(require.cache).map((path) => path.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/)?.[1]).filter(Boolean))]`;

test('loading errand, enqueueing and making a worker load neither Hono nor pino-pretty; createDashboard() loads the pages and serves them', (t) => {
  const index = builtIndex(t);
  const dir = mkdtempSync(join(tmpdir(), 'errand-lazy-db-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = `${loadedPackages};
    const { createErrand, createDashboard, defineJob } = require(${JSON.stringify(index)});
    const job = defineJob({ name: 'LazyProbe', queue: 'lazy', perform() {} });
    const errand = createErrand({ url: 'sqlite:' + ${JSON.stringify(join(dir, 'lazy.db'))}, jobs: [job] });
    (async () => {
      await errand.enqueue(job, 1);
      errand.worker({ queues: 'lazy' });
      const before = loaded();
      const dashboard = createDashboard({ errand });
      const response = await dashboard.fetch(new Request('http://localhost/'));
      const page = await response.text();
      console.log(JSON.stringify({ before, after: loaded(), status: response.status, overview: page.includes('lazy') }));
      await errand.close();
    })();`;
  const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!);
  assert.ok(!result.before.includes('hono'), `hono was loaded before createDashboard(): ${result.before.join(', ')}`);
  assert.ok(!result.before.includes('pino-pretty'), `pino-pretty was loaded with stdout not a terminal: ${result.before.join(', ')}`);
  assert.ok(result.before.includes('pino'), 'the logger itself is loaded');
  assert.equal(result.status, 200);
  assert.ok(result.overview, 'the overview page names the queue');
  assert.ok(result.after.includes('hono'), 'createDashboard() loaded Hono');
});
