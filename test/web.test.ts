// The dashboard without a browser: the escaping template, the same-origin and token checks, the
// input caps (clear 400s), the options check, mounting under Express when it is installed, and
// `errand web` (refuses to listen beyond loopback without credentials; Basic auth when given).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../src/storage/open.ts';
import type { Store } from '../src/storage/types.ts';
import { createDashboard } from '../src/web/index.ts';
import { html, jsonIsland, raw } from '../src/web/html.ts';
import { Guard } from '../src/web/security.ts';
import { serve } from './support/browser.ts';
import { ERRAND } from './support/errand-bin.ts';

describe('html template', () => {
  it('escapes every interpolation, nested html and raw() pass through, nothing for null/false', () => {
    const hostile = `<script>alert("x")</script>' \` &`;
    assert.equal(html`<p title="${hostile}">${hostile}</p>`.value,
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &#96; &amp;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &#96; &amp;</p>');
    assert.equal(html`<ul>${['<a>', html`<li>${'<b>'}</li>`]}</ul>`.value, '<ul>&lt;a&gt;<li>&lt;b&gt;</li></ul>');
    assert.equal(html`${null}${undefined}${false}${0}${raw('<br>')}`.value, '0<br>');
    assert.equal(jsonIsland({ s: '</script><!--\u2028' }).value, '{"s":"\\u003c/script\\u003e\\u003c!--\\u2028"}');
  });
});

describe('same-origin and token checks', () => {
  const guard = new Guard('s');
  const post = (headers: Record<string, string>) => new Request('http://dash.example/pause', { method: 'POST', headers });
  it('needs Sec-Fetch-Site same-origin (or, without it, the same Origin) and the token', () => {
    assert.equal(guard.refuse(post({ 'sec-fetch-site': 'same-origin' }), guard.token), undefined);
    assert.equal(guard.refuse(post({ origin: 'http://dash.example' }), guard.token), undefined);
    assert.match(guard.refuse(post({ 'sec-fetch-site': 'same-site' }), guard.token)!, /another site/);
    assert.match(guard.refuse(post({ 'sec-fetch-site': 'cross-site', origin: 'http://dash.example' }), guard.token)!, /another site/);
    assert.match(guard.refuse(post({ origin: 'http://evil.example' }), guard.token)!, /another origin/);
    assert.match(guard.refuse(post({}), guard.token)!, /neither/);
    assert.match(guard.refuse(post({ 'sec-fetch-site': 'same-origin' }), 'forged')!, /token/);
    assert.match(guard.refuse(post({ 'sec-fetch-site': 'same-origin' }), undefined)!, /token/);
    assert.equal(new Guard('s').token, guard.token, 'one secret, one token (several processes behind one URL)');
    assert.notEqual(new Guard(undefined).token, new Guard(undefined).token);
  });
});

describe('dashboard requests', () => {
  let store: Store;
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'errand-web-unit-'));
    store = await openStore(`sqlite:${join(dir, 'errand.db')}`);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('caps page sizes and filter lengths with a clear 400; GET never mutates', async () => {
    const d = createDashboard({ store });
    const get = async (path: string) => { const r = await d.fetch(new Request(`http://x${path}`)); return [r.status, await r.text()] as const; };
    assert.deepEqual(await get('/failed?size=101'), [400, 'bad request: size must be between 1 and 100, got 101\n']);
    assert.deepEqual(await get('/queues/q?page=-1'), [400, 'bad request: page must be a whole number, got "-1"\n']);
    assert.equal((await get(`/failed?error=${'e'.repeat(201)}`))[1], 'bad request: error is longer than 200 characters\n');
    assert.equal((await get('/failed/0?ref=zz'))[0], 400);
    assert.equal((await get('/pause?paused=1'))[0], 404, 'no GET route changes anything');
    assert.equal((await store.admin().stats()).paused, false);
    assert.equal((await get('/queues/nope'))[0], 404);
    const big = await d.fetch(new Request('http://x/failed/remove-all', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' }, body: `class=${'c'.repeat(70_000)}` }));
    assert.equal(big.status, 413, 'a form body over 64 kB is refused on the fetch handler too');
  });

  it('authorize runs first: false is 403, a Response is answered as is', async () => {
    const denied = createDashboard({ store, authorize: () => false });
    assert.equal((await denied.fetch(new Request('http://x/'))).status, 403);
    const login = createDashboard({ store, authorize: (r) => (r.headers.get('x-user') ? true : new Response('who?', { status: 401 })) });
    assert.equal((await login.fetch(new Request('http://x/assets/app.js'))).status, 401);
    assert.equal((await login.fetch(new Request('http://x/', { headers: { 'x-user': 'a' } }))).status, 200);
  });

  it('refuses bad options', () => {
    assert.throws(() => createDashboard({}), /exactly one of/);
    assert.throws(() => createDashboard({ store, basePath: 'errand' }), /basePath must start with/);
    assert.throws(() => createDashboard({ store, basePath: '/a"b' }), /basePath/);
  });

  /** The host app's own route answers, and the dashboard answers under /errand with links that keep the prefix. */
  async function checkMounted(url: string): Promise<void> {
    const page = await fetch(`${url}/errand/queues`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /href="\/errand\/assets\/app\.css/);
    assert.equal((await fetch(`${url}/errand/assets/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await (await fetch(`${url}/host`)).text(), 'host route');
  }

  it('mounts under Express at its base path, passing other routes on', async () => {
    // Loosely typed: @types/express would be one more dev dependency for three lines.
    type Handler = (req: unknown, res: { send(body: string): void }) => void;
    type App = RequestListener & { use(...args: unknown[]): void; get(path: string, handler: Handler): void };
    const express = (await import('express' as string)).default as (() => App) & { urlencoded(options: object): unknown };
    const app = express();
    app.use(express.urlencoded({ extended: false })); // a body parser before it: the handler reuses req.body
    app.use('/errand', createDashboard({ store, basePath: '/errand' }).node);
    app.get('/host', (_req, res) => void res.send('host route'));
    const site = await serve(app);
    try {
      await checkMounted(site.url);
    } finally {
      await site.close();
    }
  });

  it('mounts under Koa, Fastify and Hono', async () => {
    interface KoaContext { path: string; respond: boolean; body: unknown; req: IncomingMessage; res: ServerResponse }
    type Middleware = (ctx: KoaContext, next: () => Promise<void>) => unknown;
    const Koa = (await import('koa' as string)).default as new () => { use(m: Middleware): void; callback(): RequestListener };
    const dashboard = createDashboard({ store, basePath: '/errand' });
    const koa = new Koa();
    koa.use(async (ctx, next) => {
      if (ctx.path !== '/errand' && !ctx.path.startsWith('/errand/')) return next();
      ctx.respond = false; // the dashboard writes the response itself
      dashboard.node(ctx.req, ctx.res);
    });
    koa.use((ctx) => void (ctx.body = 'host route'));
    const site = await serve(koa.callback());
    try {
      await checkMounted(site.url);
    } finally {
      await site.close();
    }
    // Fastify, as the README shows it: form bodies left unread for the dashboard, the raw request handed over.
    interface Reply { hijack(): void; raw: ServerResponse }
    interface Scope { addContentTypeParser(type: string, parse: (r: unknown, body: unknown, done: (e: null) => void) => void): void; all(path: string, h: (request: { raw: IncomingMessage }, reply: Reply) => void): void }
    const Fastify = (await import('fastify' as string)).default as () => Scope & { register(plugin: (scope: Scope) => Promise<void>): void; get(path: string, h: () => string): void; listen(o: object): Promise<string>; close(): Promise<void> };
    const fastify = Fastify();
    fastify.register(async (scope) => {
      scope.addContentTypeParser('application/x-www-form-urlencoded', (_request, _body, done) => done(null));
      const handle = (request: { raw: IncomingMessage }, reply: Reply) => { reply.hijack(); dashboard.node(request.raw, reply.raw); };
      scope.all('/errand', handle);
      scope.all('/errand/*', handle);
    });
    fastify.get('/host', () => 'host route');
    const fastifyUrl = await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      await checkMounted(fastifyUrl);
      // A form post reaches the dashboard whole (not Fastify's 415): it pauses, then resumes.
      const token = /name="_csrf" value="([^"]+)"/.exec(await (await fetch(`${fastifyUrl}/errand`)).text())![1]!;
      for (const paused of ['1', '0']) {
        const post = await fetch(`${fastifyUrl}/errand/pause`, { method: 'POST', redirect: 'manual', headers: { 'sec-fetch-site': 'same-origin' }, body: new URLSearchParams({ paused, _csrf: token }) });
        assert.equal(post.status, 303);
        assert.equal((await store.admin().stats()).paused, paused === '1');
      }
    } finally {
      await fastify.close();
    }
    const { Hono } = await import('hono');
    const hono = new Hono();
    hono.mount('/errand', dashboard.fetch, { replaceRequest: false }); // keep the prefix: the dashboard routes under its basePath
    hono.get('/host', (c) => c.text('host route'));
    const page = await hono.fetch(new Request('http://x/errand/queues'));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /href="\/errand\/assets\/app\.css/);
    assert.equal(await (await hono.fetch(new Request('http://x/host'))).text(), 'host route');
  });
});

describe('errand web', () => {
  let dir = '';
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'errand-web-cli-')); });
  after(() => rm(dir, { recursive: true, force: true }));
  const start = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [...ERRAND, 'web', '--url', `sqlite:${join(dir, 'errand.db')}`, ...args], { env: { ...process.env, ERRAND_WEB_AUTH: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => { const m = /on (http:\/\/\S+)/.exec(out); if (m) resolve(m[1]!); });
      void exited.then(() => reject(new Error(`exited: ${out}`)));
    });
    listening.catch(() => {}); // awaited only by the tests that expect it to start
    return { child, exited, listening, output: () => out };
  };

  it('refuses to listen beyond loopback without credentials', async () => {
    const run = start(['--host', '0.0.0.0', '--port', '0']);
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /refusing to serve the dashboard on 0\.0\.0\.0 without credentials/);
  });

  it('asks for Basic credentials from --auth or ERRAND_WEB_AUTH', async () => {
    const run = start(['--host', '0.0.0.0', '--port', '0', '--base-path', '/errand'], { ERRAND_WEB_AUTH: 'ops:s3cret pass' });
    try {
      const url = (await run.listening).replace('0.0.0.0', '127.0.0.1');
      assert.match(url, /\/errand$/);
      const none = await fetch(url);
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate')!, /^Basic realm="errand"/);
      assert.equal((await fetch(url, { headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` } })).status, 401);
      assert.equal((await fetch(url, { headers: { authorization: `Basic ${Buffer.from('ops:s3cret pass').toString('base64')}` } })).status, 200);
    } finally {
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
    }
  });
});
