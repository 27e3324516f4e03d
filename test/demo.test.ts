// The demo (`npm start`) end to end, in its --once mode: a fresh data dir, no Redis in the
// environment, two real worker processes through the CLI. It must print the comparison of both
// modes, leave an output file for every job the app handed to errand, and exit 0 after
// stopping its workers cleanly. Slow by nature (it runs a real load), hence the long timeout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

interface Sample {
  mode: string;
  status: number;
  jobId?: string;
  output?: string;
}

function runDemo(dir: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ERRAND_DEMO_DIR: dir };
  for (const name of ['ERRAND_URL', 'REDIS_URL', 'ERRAND_DEMO_ONCE', 'ERRAND_INLINE', 'PORT']) delete env[name];
  // cwd is the checkout so that `--import tsx` resolves; every file goes to `dir`.
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts', '--once'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

test('npm start --once: both modes reported, every handed-off job done, clean exit', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-demo-'));
  try {
    const { code, signal, stdout, stderr } = await runDemo(dir);
    const explain = `\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
    assert.equal(code, 0, `demo exited with ${code ?? signal}${explain}`);

    // The report: both modes side by side, and the time the workers needed.
    assert.match(stdout, /work done inline \(\?inline=1\)/, explain);
    assert.match(stdout, /handed to errand/, explain);
    assert.match(stdout, /^all requests\s+40\s/m, explain);
    assert.match(stdout, /finished all 40 handed-off jobs [\d.]+ s after the first request/, explain);
    assert.match(stdout, /Workers exited with 0, 0\..*held by no one: yes/, explain);
    assert.ok(!/redis:\/\//.test(stdout), 'the demo must not use Redis');

    // The store is the SQLite file in the data dir, not in the checkout.
    assert.ok(existsSync(join(dir, 'demo.db')), 'the SQLite database exists in ERRAND_DEMO_DIR');
    assert.match(stdout, new RegExp(`store sqlite:\\S*${join(dir, 'demo.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    // Every job the app handed off left its output; the ids are the ones the app answered with.
    const report = JSON.parse(readFileSync(join(dir, 'demo-report.json'), 'utf8')) as { inline: Sample[]; errand: Sample[] };
    assert.equal(report.inline.length, 40);
    assert.equal(report.errand.length, 40);
    assert.ok(report.errand.every((s) => s.status === 202 && s.jobId && s.output), 'every errand-mode request answered 202 with a job id');
    assert.equal(new Set(report.errand.map((s) => s.jobId)).size, 40, 'job ids are distinct');
    for (const sample of report.errand) {
      assert.ok(sample.output!.startsWith(dir), `output ${sample.output} is under the data dir`);
      assert.ok(sample.output!.includes(sample.jobId!), `output ${sample.output} is named by its job id`);
      assert.ok(existsSync(sample.output!), `job ${sample.jobId} produced ${sample.output}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
