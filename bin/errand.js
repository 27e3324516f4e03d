#!/usr/bin/env node
// The errand command. In a checkout (src/ present) it runs the TypeScript sources through tsx,
// so it never runs a stale build; an installed package runs the compiled dist/, which is
// CommonJS (see scripts/build.js), with no tsx unless a job file is TypeScript.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const source = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  // require(), not import(): the same module instance a CommonJS job file's require('errand')
  // gets, without going through the ESM loader's guess at a CommonJS module's exports.
  ({ main } = createRequire(import.meta.url)('../dist/cli/main.js'));
}
// Exit explicitly: a store connection still retrying must not keep a finished command alive.
process.exit(await main(process.argv.slice(2)));
