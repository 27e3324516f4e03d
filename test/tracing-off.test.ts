// Tracing when it should do nothing: @opentelemetry/api not installed (a child process in
// which it cannot be resolved: errand loads, enqueues and runs jobs), installed but no tracer provider
// registered (payloads carry no trace keys, jobs run), `tracing: false` with a provider
// (no spans, no trace keys), and a provider registered after createErrand (picked up then).
// Its own file: the global provider is process-wide, and tracing.test.ts registers one first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { defineJob } from '../src/index.ts';
import { REDIS_URL, waitFor } from './support/redis.ts';
import { withErrand } from './support/errand.ts';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deleteNamespace, uniqueNamespace } from './support/redis.ts';

const ran: string[] = [];
const note = defineJob({ name: 'UntracedNote', queue: 'untraced', async perform(text: string) { ran.push(text); } });

async function storedPayloads(namespace: string, queue: string): Promise<Record<string, unknown>[]> {
  const redis = new Redis(REDIS_URL);
  try {
    return (await redis.lrange(`${namespace}:queue:${queue}`, 0, -1)).map((payload) => JSON.parse(payload) as Record<string, unknown>);
  } finally {
    redis.disconnect();
  }
}

test('no tracer provider registered: payloads carry no trace keys and jobs run as ever', async () => {
  await withErrand(async (errand, namespace) => {
    await errand.enqueue(note, 'one');
    const [payload] = await storedPayloads(namespace, 'untraced');
    assert.deepEqual(Object.keys(payload!), ['class', 'args', 'id', 'queue', 'enqueued_at', 'attempt'], 'no traceparent, tracestate or anything else');
    const worker = errand.worker({ queues: 'untraced' });
    await worker.start();
    await waitFor('the job ran', () => ran.includes('one'));
    await worker.stop();
  });
});

test('tracing: false with a provider registered: no spans and no trace keys; a provider registered after createErrand is used', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  try {
    await withErrand(async (later, namespace) => {
      await later.enqueue(note, 'before');
      trace.setGlobalTracerProvider(provider); // registered after this errand was created and had enqueued
      await withErrand(async (off) => {
        await off.enqueue(note, 'off');
      }, { namespace, tracing: false });
      await later.enqueue(note, 'after');
      const payloads = await storedPayloads(namespace, 'untraced');
      assert.deepEqual(payloads.map((payload) => [payload.args, typeof payload.traceparent]), [[['before'], 'undefined'], [['off'], 'undefined'], [['after'], 'string']]);
      assert.deepEqual(exporter.getFinishedSpans().map((span) => span.name), ['create untraced'], 'only the traced errand made a span');
    });
  } finally {
    trace.disable();
    await provider.shutdown();
  }
});

test('without @opentelemetry/api installed, errand loads, enqueues and runs jobs, and payloads carry no trace keys', async () => {
  const namespace = uniqueNamespace('errand-no-otel');
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', './test/fixtures/without-otel.mjs', join('test', 'fixtures', 'untraced-run.ts'), REDIS_URL, namespace]);
    assert.deepEqual(JSON.parse(stdout), { api: 'absent', keys: ['class', 'args', 'id', 'queue', 'enqueued_at', 'attempt'], ran: true });
  } finally {
    await deleteNamespace(namespace);
  }
});
