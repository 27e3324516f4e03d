// Build step: tsc compiles TypeScript only; the Redis store loads its Lua scripts from files
// beside its compiled module, so copy them into dist/ too.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/storage/redis/scripts', import.meta.url), new URL('../dist/storage/redis/scripts', import.meta.url), { recursive: true });
