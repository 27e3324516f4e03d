#!/usr/bin/env node
// The errand command. In a checkout (src/ present) it runs the TypeScript sources through tsx,
// so it never runs a stale build; an installed package runs the compiled dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import(new URL('../dist/cli/main.js', import.meta.url).href));
}
// Exit explicitly: a store connection still retrying must not keep a finished command alive.
process.exit(await main(process.argv.slice(2)));
