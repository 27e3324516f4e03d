// Test support: one headless Debian chromium through playwright-core (no browser download), kept
// off the network (no background fetches, updates, sync or QUIC) with a fresh profile; and a
// dashboard served on a free loopback port, on a fresh store of either kind.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { openStore } from '../../src/storage/open.ts';
import type { Store } from '../../src/storage/types.ts';
import { deleteNamespace, REDIS_URL, uniqueNamespace } from './redis.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'errand-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { context, close: async () => { await context.close(); await rm(profile, { recursive: true, force: true }); } };
}

export async function serve(handler: RequestListener): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A new page that records every dialog, console error and page error as a problem; window.alert is recorded, not shown. */
export async function openWatchedPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  // A page that never shows what a test waits for fails the test instead of hanging the suite.
  page.setDefaultTimeout(30_000);
  page.setDefaultNavigationTimeout(30_000);
  const problems: string[] = [];
  await page.addInitScript(() => {
    const w = window as unknown as { __alerts: string[] };
    w.__alerts = [];
    window.alert = (m?: unknown) => void w.__alerts.push(String(m));
  });
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { page, problems };
}

/**
 * A fresh store of `kind` (an SQLite file in a temp folder, or a new Redis namespace) and a
 * function that closes it and deletes what it held: what each dashboard suite runs on.
 */
export async function freshStore(kind: 'sqlite' | 'redis'): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'errand-web-'));
    const store = await openStore(`sqlite:${join(dir, 'errand.db')}`);
    return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
  }
  const namespace = uniqueNamespace();
  const store = await openStore(REDIS_URL, { namespace });
  return { store, cleanup: async () => { await store.close(); await deleteNamespace(namespace); } };
}
