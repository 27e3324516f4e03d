// The new user: packs errand (`npm pack`), installs the tarball into throwaway projects under the
// temp folder with no registry (extracted into node_modules/errand, its runtime dependencies
// linked from this checkout's node_modules, as `npm install ./errand-x.tgz` would lay them out),
// and in each runs jobs end to end through the CLI (`errand work` on an SQLite file) and through
// the programmatic API (createErrand -> enqueue -> worker). Projects: CommonJS (.cjs/.js/.ts/.mts
// job files), ESM (.js/.mjs/.ts/.cts), TypeScript compiled with tsc and run with plain node (no
// tsx installed; types checked under nodenext, node16 and bundler, import and require), and a
// CommonJS web app enqueuing from a route. Every job appends its args to a file, compared with
// what was enqueued. The fixtures are in test/fixtures/package-install/.
//
// One pack serves all cases, which run concurrently. dist/ is reused when newer than its inputs
// (CI builds first); otherwise the test builds into its temp folder and leaves dist/ alone.

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/package-install');
/** The args every job gets after its `via` ('cli' or 'api'): JSON that must arrive unchanged. */
const ARGS = [42, 'héllo ✓ "quoted" \\ \n', { list: [1, null, true, 'x', 1.5], nested: { empty: [], zero: 0 } }] as const;

let tmp: string;
let unpacked: string; // the extracted tarball (package/)
let runtimeDependencies: string[];
const children = new Set<ChildProcess>();

// --- packing ---

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** dist/ as the build would write it now: built after every file it is built from. */
function distIsFresh(): boolean {
  const marker = join(ROOT, 'dist/index.d.mts'); // the build's last file
  if (!existsSync(marker)) return false;
  const inputs = ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => newestMtime(join(ROOT, p)));
  return statSync(marker).mtimeMs > Math.max(...inputs);
}

async function pack(): Promise<void> {
  // A staging copy of what `npm pack` takes from the checkout ("files", package.json, README).
  const stage = join(tmp, 'stage');
  mkdirSync(stage);
  for (const entry of ['package.json', 'README.md', 'bin']) cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
  if (distIsFresh()) cpSync(join(ROOT, 'dist'), join(stage, 'dist'), { recursive: true });
  else await run(ROOT, [process.execPath, join(ROOT, 'scripts/build.js'), join(stage, 'dist')], {}, 180_000);

  const { stdout } = await run(stage, ['npm', 'pack', '--pack-destination', tmp, '--ignore-scripts', '--json']);
  const [info] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  const files = info.files.map((f) => f.path);
  for (const expected of ['package.json', 'bin/errand.js', 'dist/package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/index.mjs', 'dist/index.d.mts',
    'dist/cli/main.js', 'dist/storage/redis/scripts/push.lua']) {
    assert.ok(files.includes(expected), `the package lacks ${expected}`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'the package ships sources or tests');

  const extracted = join(tmp, 'extracted');
  mkdirSync(extracted);
  await run(tmp, ['tar', '-xzf', join(tmp, info.filename), '-C', extracted]);
  unpacked = join(extracted, 'package');
  const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  runtimeDependencies = Object.keys(manifest.dependencies ?? {});
}

// --- projects and processes ---

/** Copies a fixture project and installs the packed errand into it; `withTsx: false` leaves tsx out. */
function install(name: string, options: { withTsx: boolean; devDependencies?: string[] }): string {
  const dir = join(tmp, name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  const modules = join(dir, 'node_modules');
  cpSync(unpacked, join(modules, 'errand'), { recursive: true });
  const linked = [...runtimeDependencies.filter((dep) => options.withTsx || dep !== 'tsx'), ...(options.devDependencies ?? [])];
  for (const dep of linked) {
    const target = join(ROOT, 'node_modules', dep);
    assert.ok(existsSync(target), `${dep} is not installed in this checkout`);
    mkdirSync(join(modules, dep, '..'), { recursive: true });
    symlinkSync(target, join(modules, dep), 'dir');
  }
  // What npm does for "bin": node_modules/.bin/errand -> ../errand/bin/errand.js.
  mkdirSync(join(modules, '.bin'));
  symlinkSync('../errand/bin/errand.js', join(modules, '.bin/errand'));
  return dir;
}

/** The environment of every process: nothing from this test process's store or loader settings. */
function envFor(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, JOB_ARGS: JSON.stringify(ARGS), ...extra };
  for (const name of ['NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'REDIS_URL', 'ERRAND_INLINE', 'VERBOSE', 'VVERBOSE', 'QUEUE', 'QUEUES', 'COUNT']) delete env[name];
  if (!extra.ERRAND_URL) delete env.ERRAND_URL;
  return env;
}

function run(cwd: string, [command, ...args]: string[], env: Record<string, string> = {}, timeout = 60_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command!, args, { cwd, env: envFor(env), timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${[command, ...args].join(' ')} (in ${cwd}) failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

const node = (...args: string[]) => [process.execPath, ...args];
const errandCli = (dir: string, ...args: string[]) => node(join(dir, 'node_modules/.bin/errand'), ...args);

/** A long-running process; `stop()` sends TERM and expects a clean exit. */
function start(cwd: string, [command, ...args]: string[], env: Record<string, string> = {}) {
  const child = spawn(command!, args, { cwd, env: envFor(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  return {
    output: () => output,
    async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = output.match(pattern);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${args.join(' ')}: no ${pattern} (exit ${child.exitCode}):\n${output}`);
        await sleep(50);
      }
    },
    async stop(): Promise<void> {
      child.kill('SIGTERM');
      const code = await exited;
      // 13 is Node's "unsettled top-level await": the event loop emptied while bin/errand.js still
      // awaited main(), i.e. the shutdown waited on something that does not keep the process alive.
      const why = code === 13 ? ' (unsettled top-level await: the shutdown awaited a promise nothing kept alive)' : '';
      assert.equal(code, 0, `${args.join(' ')} exited with ${code}${why}:\n${output}`);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Ran { job: string; args: unknown[] }

function ranIn(file: string): Ran[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Ran);
}

/** Waits until `file` lists `count` jobs, and returns them sorted by job name. */
async function waitForJobs(file: string, count: number, worker?: { output: () => string }, timeoutMs = 30_000): Promise<Ran[]> {
  const deadline = Date.now() + timeoutMs;
  while (ranIn(file).length < count) {
    if (Date.now() > deadline) throw new Error(`only ${ranIn(file).length} of ${count} jobs ran:\n${JSON.stringify(ranIn(file))}\n${worker?.output() ?? ''}`);
    await sleep(50);
  }
  return ranIn(file).sort((a, b) => a.job.localeCompare(b.job));
}

const ran = (job: string, via: string): Ran => ({ job, args: [via, ...ARGS] });

// --- the cases ---

describe('the packed package, installed into new projects', { concurrency: true, timeout: 300_000 }, () => {
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'errand-install-'));
    await pack();
  }, { timeout: 240_000 });

  after(() => {
    for (const child of children) child.kill('SIGKILL');
    if (tmp && !process.env.KEEP_INSTALL_TEST) rmSync(tmp, { recursive: true, force: true });
  });

  it('a CommonJS project: require(), .cjs/.js/.ts/.mts job files through errand work, and createErrand', async () => {
    const dir = install('cjs', { withTsx: true });
    const cli = { ERRAND_URL: 'sqlite:var/cli.db', JOBS_OUT: join(dir, 'cli.jsonl') };
    const api = { ERRAND_URL: 'sqlite:var/api.db', JOBS_OUT: join(dir, 'api.jsonl') };
    const viaApi = run(dir, node('app.cjs', 'run'), api);

    await run(dir, node('app.cjs', 'enqueue'), cli);
    for (const job of ['CjsTsJob', 'MtsJob']) await run(dir, errandCli(dir, 'enqueue', job, JSON.stringify(['cli', ...ARGS]), '--url', cli.ERRAND_URL));
    const worker = start(dir, errandCli(dir, 'work', '--require', './jobs.cjs', '--require', './legacy.js', '--require', './jobs.ts',
      '--require', './module.mts', '--url', cli.ERRAND_URL), cli);
    assert.deepEqual(await waitForJobs(cli.JOBS_OUT, 4, worker), [ran('CjsJob', 'cli'), ran('CjsTsJob', 'cli'), ran('LegacyJob', 'cli'), ran('MtsJob', 'cli')]);
    await worker.stop();

    await viaApi;
    assert.deepEqual(ranIn(api.JOBS_OUT), [ran('CjsJob', 'api')]);
  });

  it('an ESM project: import, .js/.mjs/.ts/.cts job files, one errand instance for import and require and the CLI', async () => {
    const dir = install('esm', { withTsx: true });
    const cli = { ERRAND_URL: 'sqlite:var/cli.db', JOBS_OUT: join(dir, 'cli.jsonl') };
    const api = { ERRAND_URL: 'sqlite:var/api.db', JOBS_OUT: join(dir, 'api.jsonl') };
    const viaApi = run(dir, node('app.js', 'run'), api);

    await run(dir, node('app.js', 'enqueue'), cli);
    for (const job of ['EsmTsJob', 'CtsJob']) await run(dir, errandCli(dir, 'enqueue', job, JSON.stringify(['cli', ...ARGS]), '--url', cli.ERRAND_URL));
    const worker = start(dir, errandCli(dir, 'work', '--require', './jobs.js', '--require', './extra.mjs', '--require', './typed.ts',
      '--require', './typed.cts', '--url', cli.ERRAND_URL), cli);
    assert.deepEqual(await waitForJobs(cli.JOBS_OUT, 5, worker), [
      ran('CtsJob', 'cli'), ran('EsmJob', 'cli'), ran('EsmTsJob', 'cli'), { job: 'EsmUnrecoverable', args: ['cli'] }, ran('MjsJob', 'cli'),
    ]);
    await worker.stop();
    // The job threw the UnrecoverableError of the errand it imported; the CLI's worker took it
    // for its own (one instance), so the job failed at once rather than waiting for a retry.
    const { stdout } = await run(dir, errandCli(dir, 'failed', 'list', '--url', cli.ERRAND_URL));
    assert.match(stdout, /EsmUnrecoverable/);
    assert.match(stdout, /no point retrying/);

    await viaApi;
    assert.deepEqual(ranIn(api.JOBS_OUT), [ran('EsmJob', 'api')]);
  });

  it('a TypeScript project compiled with tsc, run with plain node (no tsx installed); types under nodenext, node16 and bundler', async () => {
    const dir = install('ts', { withTsx: false, devDependencies: ['typescript', '@types/node'] });
    // The build the user runs (`tsc`), and alongside it and the runs, the type-only checks under
    // node16 and bundler (one process, see check-types.mjs).
    const typeChecks = run(dir, node(join(FIXTURES, 'check-types.mjs'), 'tsconfig.node16.json', 'tsconfig.bundler.json'), {}, 120_000);
    await run(dir, node(join(dir, 'node_modules/typescript/bin/tsc')), {}, 120_000);
    assert.ok(!existsSync(join(dir, 'node_modules/tsx')));

    assert.match((await run(dir, node('dist/check-require.cjs'))).stdout, /require ok/);
    const cli = { ERRAND_URL: 'sqlite:var/cli.db', JOBS_OUT: join(dir, 'cli.jsonl') };
    const api = { ERRAND_URL: 'sqlite:var/api.db', JOBS_OUT: join(dir, 'api.jsonl') };
    const viaApi = run(dir, node('dist/app.js', 'run'), api);
    await run(dir, node('dist/app.js', 'enqueue'), cli);
    const worker = start(dir, errandCli(dir, 'work', '--require', './dist/jobs.js', '--queues', 'compiled', '--url', cli.ERRAND_URL), cli);
    assert.deepEqual(await waitForJobs(cli.JOBS_OUT, 1, worker), [ran('CompiledJob', 'cli')]);
    await worker.stop();
    await viaApi;
    assert.deepEqual(ranIn(api.JOBS_OUT), [ran('CompiledJob', 'api')]);
    assert.match((await typeChecks).stdout, /tsconfig.node16.json: ok[^]*tsconfig.bundler.json: ok/);
  });

  it('a CommonJS web app enqueuing from a route, run by errand work and by a worker in the app', async () => {
    const dir = install('http', { withTsx: false });
    const signup = async (server: ReturnType<typeof start>, via: string) => {
      const [, port] = await server.waitFor(/listening (\d+)/);
      const [userId, name, prefs] = ARGS;
      const response = await fetch(`http://127.0.0.1:${port}/signup`, { method: 'POST', body: JSON.stringify({ via, userId, name, prefs }) });
      assert.equal(response.status, 202, await response.clone().text());
      const { id } = await response.json() as { id: unknown };
      assert.equal(typeof id, 'string');
    };

    const cli = { ERRAND_URL: 'sqlite:var/cli.db', JOBS_OUT: join(dir, 'cli.jsonl') };
    const api = { ERRAND_URL: 'sqlite:var/api.db', JOBS_OUT: join(dir, 'api.jsonl'), WORKER: '1' };
    const app = start(dir, node('server.js'), cli);
    const appWithWorker = start(dir, node('server.js'), api);
    const worker = start(dir, errandCli(dir, 'work', '--require', './jobs.js', '--queues', 'email', '--url', cli.ERRAND_URL), cli);
    await Promise.all([signup(app, 'cli'), signup(appWithWorker, 'api')]);
    assert.deepEqual(await waitForJobs(cli.JOBS_OUT, 1, worker), [ran('SendWelcome', 'cli')]);
    assert.deepEqual(await waitForJobs(api.JOBS_OUT, 1, appWithWorker), [ran('SendWelcome', 'api')]);
    await Promise.all([worker.stop(), app.stop(), appWithWorker.stop()]);
  });
});
