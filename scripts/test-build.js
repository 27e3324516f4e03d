// `npm test`'s second step: builds the copy of errand that the test suite runs its `errand`
// processes from, .test-build/ laid out as the package is (bin/errand.js beside dist/), so
// bin/errand.js takes its installed-package branch there and runs compiled JavaScript: no tsx
// compiling src/ at every process start (about a second of CPU each; the suite starts hundreds).
//
// Rebuilt from src/ on every `npm test`, so never stale. Tests see it through ERRAND_TEST_BUILD
// (test/support/errand-bin.ts); without it, as when one test file is run on its own, they run
// bin/errand.js from the checkout, on src/ through tsx.

import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.test-build');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'scripts/build.js'), '--transpile-only', join(out, 'dist')], { stdio: 'inherit' });
cpSync(join(root, 'bin'), join(out, 'bin'), { recursive: true });
