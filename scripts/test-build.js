// `npm test`'s second step: builds the copy of errand that the test suite runs its `errand`
// processes from, .test-build/ laid out as the package is (bin/errand.js beside dist/), so
// bin/errand.js takes its installed-package branch there and runs compiled JavaScript: no tsx
// compiling src/ at every process start (about a second of CPU each; the suite starts hundreds).
//
// Rebuilt from src/ on every `npm test`, so never stale. Tests see it through ERRAND_TEST_BUILD
// (test/support/errand-bin.ts); without it, as when one test file is run on its own, they run
// bin/errand.js from the checkout, on src/ through tsx.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.test-build');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'scripts/build.js'), '--transpile-only', join(out, 'dist')], { stdio: 'inherit' });
cpSync(join(root, 'bin'), join(out, 'bin'), { recursive: true });

// Job files that test processes load with `errand work --require` (test/fixtures/*.ts and
// chaos/jobs.ts), transpiled to JavaScript at the same paths under .test-build/: a process loading one runs without
// tsx (tsx costs about 0.4 s of CPU per process to load). Only files whose imports are node:,
// '#errand' or each other are built, so each built file means exactly what its source does;
// tests pick them through jobFile() (test/support/errand-bin.ts), and one test keeps loading a
// .ts job file through the command, so tsx's path stays tested.
import('typescript').then(({ default: ts }) => {
  const sources = [...readdirSync(join(root, 'test/fixtures')).map((name) => join(root, 'test/fixtures', name)), join(root, 'chaos/jobs.ts')];
  for (const source of sources.filter((path) => path.endsWith('.ts'))) {
    const text = readFileSync(source, 'utf8');
    // Static imports, re-exports and dynamic imports alike: a file that reaches anything else stays TypeScript.
    const imports = [
      ...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/^export\s[^'";]*\sfrom\s*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g),
    ].map((match) => match[1]);
    if (!imports.every((spec) => spec.startsWith('node:') || spec === '#errand' || /^\.\/[\w-]+\.ts$/.test(spec))) continue;
    const { outputText } = ts.transpileModule(text, {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, rewriteRelativeImportExtensions: true, verbatimModuleSyntax: false },
    });
    const built = join(out, relative(root, source)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(built), { recursive: true });
    writeFileSync(built, outputText);
  }
});
