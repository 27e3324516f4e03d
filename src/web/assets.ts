// The dashboard's own static files (assets/app.js, app.css, icon.svg), read once and served with a
// long cache: pages link them with ?v=<digest>, so a new version is a new URL. No CDN: it
// works offline. Only the names below are served, never a path from the request.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const TYPES = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8', 'icon.svg': 'image/svg+xml' } as const;
type Name = keyof typeof TYPES;
let files: Record<Name, Buffer> | undefined;
let version = '';

function load(): Record<Name, Buffer> {
  if (!files) {
    const read = (name: Name) => readFileSync(new URL(`./assets/${name}`, import.meta.url));
    files = { 'app.js': read('app.js'), 'app.css': read('app.css'), 'icon.svg': read('icon.svg') };
    const hash = createHash('sha256');
    for (const body of Object.values(files)) hash.update(body);
    version = hash.digest('hex').slice(0, 12);
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
