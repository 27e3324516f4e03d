// How tests start the `errand` command. Under `npm test` (ERRAND_TEST_BUILD=1) they run the copy
// scripts/test-build.js compiled from src/ just before: .test-build/, laid out as the package is,
// so its bin/errand.js runs compiled JavaScript and a process starts without tsx compiling src/
// (about a second of CPU less per process; the suite starts hundreds). Run on their own, without
// ERRAND_TEST_BUILD, tests run bin/errand.js from the checkout: src/ through tsx, never stale.
//
// Job files in test/fixtures import errand as '#errand' (package.json "imports"): src/index.ts,
// except in a process started with the condition errand-test-build, where it is the build's
// dist/index.js, the very instance the built command runs (one job registry, one set of error
// classes). Supervised worker processes inherit the condition (fork() passes node's flags on).

import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = process.env.ERRAND_TEST_BUILD === '1';
const BUILT_BIN = join(ROOT, '.test-build', 'bin', 'errand.js');
if (BUILT && !existsSync(BUILT_BIN)) throw new Error(`ERRAND_TEST_BUILD=1 but ${BUILT_BIN} is missing: run node scripts/test-build.js (npm test does)`);

/** node's arguments that run the `errand` command; the command's own arguments follow. */
export const ERRAND: readonly string[] = BUILT ? ['--conditions=errand-test-build', BUILT_BIN] : [join(ROOT, 'bin', 'errand.js')];

/**
 * The job file a spawned `errand` loads for `source` (a .ts file in the checkout): under
 * ERRAND_TEST_BUILD its JavaScript copy in .test-build/ (scripts/test-build.js builds the job
 * files that import only node:, '#errand' and each other), so the process needs no tsx; else, or
 * when no copy was built, `source` itself.
 */
export function jobFile(source: string): string {
  if (!BUILT) return source;
  const built = join(ROOT, '.test-build', relative(ROOT, resolve(ROOT, source))).replace(/\.ts$/, '.js');
  return existsSync(built) ? built : source;
}
