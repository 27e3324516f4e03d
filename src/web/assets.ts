// The dashboard's own static files (assets/app.js, assets/app.css), read once and served with a
// long cache: pages link them with ?v=<digest>, so a new version is a new URL. No CDN: it
// works offline. Only the names below are served, never a path from the request.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const TYPES = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' } as const;
type Name = keyof typeof TYPES;
let files: Record<Name, Buffer> | undefined;
let version = '';

function load(): Record<Name, Buffer> {
  if (!files) {
    files = { 'app.js': readFileSync(new URL('./assets/app.js', import.meta.url)), 'app.css': readFileSync(new URL('./assets/app.css', import.meta.url)) };
    version = createHash('sha256').update(files['app.js']).update(files['app.css']).digest('hex').slice(0, 12);
  }
  return files;
}

export function assetVersion(): string {
  load();
  return version;
}

export function asset(name: string): Response | undefined {
  if (!Object.hasOwn(TYPES, name)) return undefined;
  const body = load()[name as Name];
  return new Response(new Uint8Array(body), { headers: { 'content-type': TYPES[name as Name], 'cache-control': 'public, max-age=86400, immutable' } });
}
