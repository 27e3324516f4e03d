// OpenTelemetry tracing on a real Redis (and one SQLite file): the enqueue's PRODUCER span and
// the worker's CONSUMER span joined through the trace context in the payload, by link or as a
// child; payloads written byte for byte as Ruby's opentelemetry-instrumentation-resque writes
// them continue their trace in an errand worker, and errand's payloads carry the keys that gem
// reads; failures give error.type and an error status; debug spans only when asked for. Spans
// are captured by the SDK's in-memory exporter; producer and consumer are two errand instances
// on their own connections (and once two processes, test/fixtures/traced-producer.ts), so the
// payload is all that joins them.

import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, defaultTextMapGetter, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, createTraceState } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { ConfigError, createErrand, defineJob, type ErrandOptions } from '../src/index.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace, waitFor } from './support/redis.ts';
import { quiet } from './support/errand.ts';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const appTracer = trace.getTracer('the-app');

beforeEach(() => exporter.reset());
after(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

type Errand = ReturnType<typeof createErrand>;
interface Pair { producer: Errand; consumer: Errand; namespace: string; close(): Promise<void> }

/** A producer errand and a worker errand (on `queues`) on one fresh namespace, each its own connection. */
async function startPair(queues: string, workerOptions: ErrandOptions = {}, url = REDIS_URL): Promise<Pair> {
  const namespace = uniqueNamespace('errand-tracing');
  const producer = createErrand({ url, namespace, logger: quiet });
  const consumer = createErrand({ url, namespace, logger: quiet, ...workerOptions });
  const worker = consumer.worker({ queues });
  await worker.start();
  return {
    producer, consumer, namespace,
    async close() {
      await Promise.all([producer.close(), consumer.close()]);
      await deleteNamespace(namespace);
    },
  };
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'errand-tracing-'));

// The running workers the tests use, started together (a worker's start costs most of a second):
// one per propagation style, one with debug spans, one on SQLite.
const pairs = Promise.all([
  startPair('traced', { tracing: { propagation: 'child' } }),
  startPair('traced'),
  startPair('traced', { tracing: { propagation: 'none' } }),
  startPair('traced-fail', { tracing: { debug: true } }),
  startPair('traced', { tracing: { propagation: 'child' } }, `sqlite:${join(sqliteDir, 'errand.db')}`),
]);
const [childPair, linkPair, nonePair, debugPair, sqlitePair] = [0, 1, 2, 3, 4].map((i) => pairs.then((started) => started[i]!)) as [Promise<Pair>, Promise<Pair>, Promise<Pair>, Promise<Pair>, Promise<Pair>];
after(async () => {
  await Promise.all((await pairs).map((pair) => pair.close()));
  rmSync(sqliteDir, { recursive: true, force: true });
});

async function withPair(pair: Promise<Pair>, fn: (producer: Errand, consumer: Errand, namespace: string) => Promise<void>): Promise<void> {
  const { producer, consumer, namespace } = await pair;
  await fn(producer, consumer, namespace);
}

const spansNamed = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
const one = async (name: string): Promise<ReadableSpan> => (await waitFor(`a ${name} span`, () => spansNamed(name)[0]));

const inside: string[] = [];
const greet = defineJob({
  name: 'TracedGreet', queue: 'traced',
  async perform(who: string) {
    // The job's own span: a child of the process span, which is active while perform runs.
    await appTracer.startActiveSpan('greet', async (span) => {
      inside.push(who);
      span.end();
    });
  },
});

// Defined before the workers start: a worker knows the jobs defined when it was made.
const flaky = defineJob({
  name: 'TracedFlaky', queue: 'traced-fail', retry: { attempts: 2, backoff: 'fixed', delay: 1, jitter: 0 },
  async perform() {
    throw new TypeError('no such user');
  },
});

test('child: the worker\'s process span is a child of the enqueue\'s send span, in the request\'s trace, and spans inside perform are its children', async () => {
  await withPair(childPair, async (producer) => {
    const request = await appTracer.startActiveSpan('POST /signup', async (span) => {
      await producer.enqueue(greet, 'ada');
      span.end();
      return span;
    });
    const processed = await one('process traced');
    const send = await one('create traced');
    const greeting = await one('greet');
    const traceId = request.spanContext().traceId;
    assert.equal(send.kind, SpanKind.PRODUCER);
    assert.equal(send.spanContext().traceId, traceId);
    assert.equal(send.parentSpanContext?.spanId, request.spanContext().spanId);
    assert.equal(processed.kind, SpanKind.CONSUMER);
    assert.equal(processed.spanContext().traceId, traceId, 'the worker continues the request\'s trace');
    assert.equal(processed.parentSpanContext?.spanId, send.spanContext().spanId, 'a child of the send span');
    assert.equal(greeting.parentSpanContext?.spanId, processed.spanContext().spanId, 'perform runs inside the process span');
    assert.equal(processed.links.length, 0);
    assert.deepEqual(send.attributes, {
      'messaging.system': 'resque', 'messaging.operation.type': 'create', 'messaging.operation.name': 'create', 'messaging.destination.name': 'traced',
      'messaging.resque.job_class': 'TracedGreet', 'messaging.message.id': processed.attributes['messaging.message.id'],
    });
    assert.match(String(processed.attributes['messaging.message.id']), /^[0-9a-f-]{36}$/);
    assert.equal(processed.attributes['messaging.operation.type'], 'process');
    assert.equal(processed.attributes['messaging.destination.name'], 'traced');
    assert.equal(processed.attributes['messaging.resque.job_class'], 'TracedGreet');
    assert.equal(processed.status.code, SpanStatusCode.UNSET);
    assert.equal(exporter.getFinishedSpans().filter((span) => /^(receive|settle|retry) traced$/.test(span.name)).length, 0, 'no debug spans unless asked for');
  });
});

test('across processes: a producer process\'s trace continues in this process\'s worker', async () => {
  await withPair(childPair, async (_producer, _consumer, namespace) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'traced-producer.ts'), REDIS_URL, namespace, 'from another process'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    const ids = JSON.parse(output) as { traceId: string; requestSpanId: string; sendSpanId: string; sendParent: string };
    assert.equal(ids.sendParent, ids.requestSpanId, 'in the producer: send is a child of the request');
    const processed = await waitFor('the process span', () => spansNamed('process traced').find((span) => span.spanContext().traceId === ids.traceId));
    assert.equal(processed.parentSpanContext?.spanId, ids.sendSpanId, 'the worker\'s span is a child of the other process\'s send span');
  });
});

test('link (the default): the process span starts a new trace with a span link to the send span', async () => {
  await withPair(linkPair, async (producer) => {
    await appTracer.startActiveSpan('request', async (span) => {
      await producer.enqueueBulk(greet, [['a'], ['b']]);
      span.end();
    });
    await waitFor('2 process spans', () => spansNamed('process traced').length === 2);
    const send = await one('create traced');
    assert.equal(send.attributes['messaging.batch.message_count'], 2, 'one send span for a bulk enqueue');
    for (const processed of spansNamed('process traced')) {
      assert.equal(processed.parentSpanContext, undefined, 'a root span');
      assert.notEqual(processed.spanContext().traceId, send.spanContext().traceId);
      assert.equal(processed.links.length, 1);
      assert.equal(processed.links[0]!.context.traceId, send.spanContext().traceId);
      assert.equal(processed.links[0]!.context.spanId, send.spanContext().spanId);
    }
  });
});

test('none: a new trace, no link', async () => {
  await withPair(nonePair, async (producer) => {
    await appTracer.startActiveSpan('request', async (span) => {
      await producer.enqueue(greet, 'c');
      span.end();
    });
    const processed = await one('process traced');
    assert.equal(processed.parentSpanContext, undefined);
    assert.equal(processed.links.length, 0);
  });
});

// What Ruby writes: Resque::Job.create calls Resque.push(queue, class: ..., args: ...); the gem's
// push patch injects the propagator's fields into that hash (traceparent, then tracestate when
// the span has one) and Resque encodes it with JSON: no id, queue or other keys.
const RUBY_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const RUBY_TRACESTATE = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
const RUBY_PAYLOAD = `{"class":"TracedGreet","args":["from ruby"],"traceparent":"${RUBY_TRACEPARENT}","tracestate":"${RUBY_TRACESTATE}"}`;

async function pushAsRuby(namespace: string, queue: string, payload: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    // Resque's DataStore#push_to_queue: SADD queues, RPUSH queue:<name> (no wake-up: the heartbeat finds it).
    await redis.multi().sadd(`${namespace}:queues`, queue).rpush(`${namespace}:queue:${queue}`, payload).exec();
  } finally {
    redis.disconnect();
  }
}

test('a payload written as the Ruby gem writes it is run by an errand worker, whose span joins that trace (child) or links to it', async () => {
  // Both at once: a payload Ruby pushed is found at the worker's next heartbeat (about 2 s when idle).
  await Promise.all(([['child', childPair], ['link', linkPair]] as const).map(async ([propagation, pair]) => {
    await withPair(pair, async (_producer, _consumer, namespace) => {
      await pushAsRuby(namespace, 'traced', RUBY_PAYLOAD);
      const processed = await waitFor(`a process span in ${namespace}`, () => exporter.getFinishedSpans().find((span) => span.name === 'process traced' && /^resque-/.test(String(span.attributes['messaging.message.id'])) && (propagation === 'child' ? span.parentSpanContext : span.links.length > 0)));
      assert.ok(inside.includes('from ruby'));
      assert.match(String(processed.attributes['messaging.message.id']), /^resque-\d+$/, 'a Ruby payload has no id: the token names it');
      assert.equal(processed.attributes['messaging.resque.job_class'], 'TracedGreet');
      if (propagation === 'child') {
        assert.equal(processed.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'the Ruby trace goes on');
        assert.equal(processed.parentSpanContext?.spanId, '00f067aa0ba902b7');
        assert.equal(processed.parentSpanContext?.isRemote, true);
        assert.equal(processed.spanContext().traceState?.serialize(), RUBY_TRACESTATE, 'tracestate carried on');
      } else {
        assert.equal(processed.links[0]?.context.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
        assert.equal(processed.links[0]?.context.spanId, '00f067aa0ba902b7');
      }
    });
  }));
});

test('errand\'s payload carries traceparent and tracestate at the top level, where the Ruby gem extracts them', async () => {
  await withPair(childPair, async (producer, _consumer, namespace) => {
    // A request that arrived with a tracestate (as from an upstream service).
    const upstream = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true,
      traceState: createTraceState('congo=t61rcWkgMzE'),
    });
    // To a queue no worker takes, so the payload can be read as stored.
    await context.with(upstream, () => producer.enqueueSpec({ ...greet.spec, queue: 'nobody-takes' }, ['to ruby']));
    const send = await one('create nobody-takes');
    const redis = new Redis(REDIS_URL);
    const [stored] = await redis.lrange(`${namespace}:queue:nobody-takes`, 0, -1);
    redis.disconnect();
    const payload = JSON.parse(stored!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload).slice(0, 2), ['class', 'args'], 'Resque\'s own keys first, as Ruby Resque reads them');
    assert.equal(payload.traceparent, `00-0af7651916cd43dd8448eb211c80319c-${send.spanContext().spanId}-01`);
    assert.equal(payload.tracestate, 'congo=t61rcWkgMzE');
    // The gem's job patch: OpenTelemetry.propagation.extract(@payload), the decoded hash, with the
    // default getter (carrier[key]); the W3C propagator here reads it the same way.
    const extracted = trace.getSpanContext(new W3CTraceContextPropagator().extract(ROOT_CONTEXT, payload, defaultTextMapGetter));
    assert.equal(extracted?.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(extracted?.spanId, send.spanContext().spanId);
  });
});

test('without a registered propagator errand writes and reads W3C trace context itself', async () => {
  propagation.disable();
  try {
    await withPair(childPair, async (producer, _consumer, namespace) => {
      await appTracer.startActiveSpan('request', async (span) => {
        await producer.enqueueSpec({ ...greet.spec, queue: 'parked' }, ['no propagator']);
        span.end();
      });
      const send = await one('create parked');
      const redis = new Redis(REDIS_URL);
      // Read on a queue no worker takes, then moved to the worker's queue and announced.
      const [stored] = await redis.lrange(`${namespace}:queue:parked`, 0, -1);
      assert.equal((JSON.parse(stored!) as { traceparent: string }).traceparent, `00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);
      await redis.multi().lmove(`${namespace}:queue:parked`, `${namespace}:queue:traced`, 'LEFT', 'RIGHT').publish(`${namespace}:errand:wake`, 'traced').exec();
      redis.disconnect();
      const processed = await one('process traced');
      assert.equal(processed.parentSpanContext?.spanId, send.spanContext().spanId);
    });
  } finally {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
});

test('a failing job: error.type, an exception event and an error status on every attempt; debug adds retry, receive and settle spans', async () => {
  await withPair(debugPair, async (producer) => {
    await producer.enqueue(flaky);
    const attempts = await waitFor('2 process spans', () => (spansNamed('process traced-fail').length === 2 ? spansNamed('process traced-fail') : undefined));
    assert.deepEqual(attempts.map((span) => span.attributes['messaging.resque.attempt']).sort(), [1, 2]);
    for (const span of attempts) {
      assert.equal(span.attributes['error.type'], 'TypeError');
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.equal(span.status.message, 'no such user');
      assert.equal(span.events[0]?.name, 'exception');
    }
    const retry = await one('retry traced-fail');
    assert.equal(retry.attributes['messaging.resque.attempt'], 2);
    assert.ok(attempts.some((span) => span.spanContext().spanId === retry.parentSpanContext?.spanId), 'the retry span is a child of the failed attempt');
    await waitFor('a receive span', () => spansNamed('receive traced-fail').some((span) => span.attributes['messaging.batch.message_count'] === 1));
    await waitFor('a settle span', () => spansNamed('settle traced-fail').length >= 2);
  });
});

test('on SQLite: messaging.system is errand, and the trace crosses the same way', async () => {
  await withPair(sqlitePair, async (producer) => {
    const request = await appTracer.startActiveSpan('request', async (span) => {
      await producer.enqueue(greet, 'sqlite');
      span.end();
      return span;
    });
    const processed = await waitFor('the SQLite process span', () => spansNamed('process traced').find((span) => span.attributes['messaging.system'] === 'errand'));
    assert.equal(processed.spanContext().traceId, request.spanContext().traceId);
    assert.equal(processed.parentSpanContext?.spanId, spansNamed('create traced').find((span) => span.attributes['messaging.system'] === 'errand')?.spanContext().spanId);
    assert.equal(processed.attributes['messaging.errand.job_class'], 'TracedGreet');
  });
});

test('bad tracing options fail createErrand with a clear error', () => {
  assert.throws(() => createErrand({ url: REDIS_URL, tracing: { propagation: 'parent' as 'child' } }), (error: unknown) =>
    error instanceof ConfigError && /tracing.propagation must be 'link', 'child' or 'none', got "parent"/.test(error.message));
  assert.throws(() => createErrand({ url: REDIS_URL, tracing: { debug: 'yes' as unknown as boolean } }), /tracing.debug must be true or false/);
  assert.throws(() => createErrand({ url: REDIS_URL, tracing: 'on' as unknown as false }), /takes false or \{ propagation, debug \}/);
});
