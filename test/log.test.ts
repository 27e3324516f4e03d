// Logging: JSON lines on a non-TTY stdout, VERBOSE logs each job with its duration, a custom
// logger receives errand's lines, and the last line before a crash reaches the output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createErrand, defineJob } from '../src/index.ts';
import { ERRAND, jobFile } from './support/errand-bin.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';

function startWorker(namespace: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [...ERRAND, 'work', '--require', jobFile('test/fixtures/log-jobs.ts'), '--queues', 'log', '--url', REDIS_URL, '--namespace', namespace], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

test('VERBOSE=1 logs each job with its duration as JSON lines', async () => {
  const namespace = uniqueNamespace();
  const worker = startWorker(namespace, { VERBOSE: '1' });
  try {
    await waitFor('worker started', () => worker.output().includes('worker started'));
    const errand = createErrand({ url: REDIS_URL, namespace, logger: { info() {}, warn() {}, error() {}, debug() {} } });
    const job = defineJob({ name: 'LogAndReturn', queue: 'log', async perform(_n: number) {} });
    await errand.enqueue(job, 7);
    await errand.close();
    const line = await waitFor('done line', () => worker.output().split('\n').find((l) => l.includes('"msg":"done"')));
    const record = JSON.parse(line);
    assert.equal(record.job, 'LogAndReturn');
    assert.equal(typeof record.ms, 'number');
    assert.ok(worker.output().includes('"msg":"inside the job"'));
  } finally {
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    await deleteNamespace(namespace);
  }
});

test('without VERBOSE, jobs are not logged one by one', async () => {
  const namespace = uniqueNamespace();
  const worker = startWorker(namespace, { VERBOSE: '', VVERBOSE: '' });
  try {
    await waitFor('worker started', () => worker.output().includes('worker started'));
    const errand = createErrand({ url: REDIS_URL, namespace, logger: { info() {}, warn() {}, error() {}, debug() {} } });
    await errand.enqueue(defineJob({ name: 'LogAndReturn', queue: 'log', async perform(_n: number) {} }), 1);
    await errand.close();
    await waitFor('job ran', () => worker.output().includes('inside the job'));
    assert.ok(!worker.output().includes('"msg":"done"'));
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await deleteNamespace(namespace);
  }
});

test('the last line logged before a crash is not lost', async () => {
  const namespace = uniqueNamespace();
  const worker = startWorker(namespace, {});
  try {
    await waitFor('worker started', () => worker.output().includes('worker started'));
    const errand = createErrand({ url: REDIS_URL, namespace, logger: { info() {}, warn() {}, error() {}, debug() {} } });
    await errand.enqueue(defineJob({ name: 'LogAndDie', queue: 'log', async perform() {} }));
    await errand.close();
    await worker.exited;
    assert.ok(worker.output().includes('last words before the crash'), worker.output());
  } finally {
    await deleteNamespace(namespace);
  }
});

test('a custom logger receives errand lines', async () => {
  const namespace = uniqueNamespace();
  const lines: string[] = [];
  const logger = { info: (_o: unknown, m?: string) => lines.push(`info ${m}`), warn: (_o: unknown, m?: string) => lines.push(`warn ${m}`), error() {}, debug() {} };
  const errand = createErrand({ url: REDIS_URL, namespace, logger });
  const job = defineJob({ name: 'LogCustomFail', queue: 'log-custom', async perform() { throw new Error('x'); } });
  const worker = errand.worker({ queues: 'log-custom' });
  await worker.start();
  await errand.enqueue(job);
  await waitFor('failure logged', () => lines.includes('warn job failed'));
  await errand.close();
  assert.ok(lines.includes('info worker started'));
  assert.ok(lines.includes('info worker stopped'));
  await deleteNamespace(namespace);
});
