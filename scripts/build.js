// Build: `node scripts/build.js [--transpile-only] [outDir]` (default dist/) compiles src/ into ONE
// CommonJS implementation that both `require('errand')` and `import 'errand'` load:
//
//   dist/package.json   {"type":"commonjs"}: every dist/**/*.js is CommonJS
//   dist/**/*.js        the code, transpiled from src/ as CommonJS; import() stays a real import()
//   dist/**/*.d.ts      declarations from tsc (which also type-checks src/ first)
//   dist/index.mjs      the ESM entry: re-exports dist/index.js, so both entries share one instance
//   dist/index.d.mts    its types: the same declarations
//
// Why one CommonJS copy rather than two builds: a second (ESM) copy would give a process that
// loads errand both ways two registries and two sets of error classes (a job file that requires
// errand and throws its UnrecoverableError would be retried by the ESM worker that loaded it), and
// `require(esm)` is not available without flags on every Node 20.x. CommonJS loads on all of them.
//
// The sources are ESM and may use `import.meta.url` (Lua files beside their module, the CLI's own
// path); the transpile step replaces it with the CommonJS module's file URL, which names the same
// file (.filename and .dirname likewise). import.meta.resolve(x) becomes the file URL of
// require.resolve(x): the same file for packages whose import and require conditions agree, and
// for the one use today (tsx in a checkout, src/worker/beats.ts) never reached in dist/. Any other
// import.meta use fails the build rather than the program.
//
// --transpile-only writes the same JavaScript (step 2) and assets (step 3) in a few seconds, with no
// type-check, no declarations and no ESM entry: the copy the test suite runs its `errand` processes
// from (scripts/test-build.js), right after `npm run typecheck` has checked the sources.

import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const srcDir = join(root, 'src');
const args = process.argv.slice(2);
const transpileOnly = args.includes('--transpile-only');
const outDir = resolve(root, args.filter((arg) => arg !== '--transpile-only')[0] ?? 'dist');

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}

function report(diagnostics) {
  if (diagnostics.length === 0) return;
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}

// 1. Type-check src/ and emit the declarations (tsconfig.build.json: emitDeclarationOnly).
const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), { outDir }, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => report([d]),
});
report(config.errors);
const program = transpileOnly ? undefined : ts.createProgram({ rootNames: config.fileNames, options: config.options });
if (program) report(ts.getPreEmitDiagnostics(program));
rmSync(outDir, { recursive: true, force: true }); // only now: a build that fails keeps the last dist/
if (program) report(program.emit().diagnostics);

// 2. The JavaScript: each source file as CommonJS. Naming it .cts tells TypeScript's NodeNext
// emit to write require() for static imports while keeping dynamic import() native (the CLI
// imports ESM job files and tsx with it); `module: CommonJS` would turn import() into require().
function importMetaTransformer(file) {
  return (context) => {
    const f = context.factory;
    const visit = (node) => {
      if (ts.isPropertyAccessExpression(node) && ts.isMetaProperty(node.expression) && node.expression.keywordToken === ts.SyntaxKind.ImportKeyword) {
        const name = node.name.text;
        if (name === 'url') {
          // require('node:url').pathToFileURL(__filename).href
          const url = f.createCallExpression(f.createIdentifier('require'), undefined, [f.createStringLiteral('node:url')]);
          return f.createPropertyAccessExpression(
            f.createCallExpression(f.createPropertyAccessExpression(url, 'pathToFileURL'), undefined, [f.createIdentifier('__filename')]), 'href');
        }
        if (name === 'filename') return f.createIdentifier('__filename');
        if (name === 'dirname') return f.createIdentifier('__dirname');
        if (name === 'resolve') {
          // (specifier) => require('node:url').pathToFileURL(require.resolve(specifier)).href
          const specifier = f.createIdentifier('specifier');
          const url = f.createCallExpression(f.createIdentifier('require'), undefined, [f.createStringLiteral('node:url')]);
          const resolved = f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier('require'), 'resolve'), undefined, [specifier]);
          return f.createParenthesizedExpression(f.createArrowFunction(undefined, undefined, [f.createParameterDeclaration(undefined, undefined, specifier)], undefined, undefined,
            f.createPropertyAccessExpression(f.createCallExpression(f.createPropertyAccessExpression(url, 'pathToFileURL'), undefined, [resolved]), 'href')));
        }
      }
      // import('./relative.ts') of our own modules: a plain require(), so the CommonJS build
      // never goes through the ESM loader (and its export detection) for its own files.
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length === 1
        && ts.isStringLiteral(node.arguments[0]) && /^\.\.?\//.test(node.arguments[0].text)) {
        const specifier = node.arguments[0].text.replace(/\.ts$/, '.js');
        const load = f.createArrowFunction(undefined, undefined, [], undefined, undefined,
          f.createCallExpression(f.createIdentifier('require'), undefined, [f.createStringLiteral(specifier)]));
        return f.createCallExpression(
          f.createPropertyAccessExpression(f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier('Promise'), 'resolve'), undefined, []), 'then'),
          undefined, [load]);
      }
      if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
        fail(`${relative(root, file)}: import.meta${node.parent && ts.isPropertyAccessExpression(node.parent) ? `.${node.parent.name.text}` : ''} has no CommonJS equivalent here (use import.meta.url, .filename, .dirname or .resolve)`);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return (sourceFile) => ts.visitNode(sourceFile, visit);
  };
}

const jsOptions = {
  ...config.options,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  verbatimModuleSyntax: false, // ESM syntax in a CommonJS file is the point here
  declaration: false,
  emitDeclarationOnly: false,
  noEmit: false,
  sourceMap: true,
  inlineSources: false,
};
for (const file of config.fileNames) {
  if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
  const out = join(outDir, relative(srcDir, file)).replace(/\.ts$/, '.js');
  const result = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file.replace(/\.ts$/, '.cts'),
    compilerOptions: jsOptions,
    reportDiagnostics: true,
    transformers: { before: [importMetaTransformer(file)] },
  });
  report(result.diagnostics ?? []);
  const map = JSON.parse(result.sourceMapText);
  map.file = out.slice(dirname(out).length + 1);
  map.sources = [relative(dirname(out), file)];
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, result.outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${map.file}.map`));
  writeFileSync(`${out}.map`, JSON.stringify(map));
}
writeFileSync(join(outDir, 'package.json'), '{\n  "type": "commonjs"\n}\n');

// 3. The Redis store reads its Lua scripts from files beside its module.
cpSync(join(srcDir, 'storage/redis/scripts'), join(outDir, 'storage/redis/scripts'), { recursive: true });
// The dashboard serves its own app.js and app.css, read from beside its module.
cpSync(join(srcDir, 'web/assets'), join(outDir, 'web/assets'), { recursive: true });

if (!program) process.exit(0);

// 4. The ESM entry: src/index.ts's value exports, as the type checker sees them (so the list
// cannot drift from the source; type-only exports such as `export type { X }` are left out).
const checker = program.getTypeChecker();
const indexFile = program.getSourceFile(join(srcDir, 'index.ts')) ?? fail('src/index.ts is not in the program');
const names = checker.getExportsOfModule(checker.getSymbolAtLocation(indexFile)).filter((symbol) => {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return (target.flags & ts.SymbolFlags.Value) !== 0 && !(symbol.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
}).map((symbol) => symbol.name).sort();
const indexJs = readFileSync(join(outDir, 'index.js'), 'utf8');
for (const name of names) {
  if (!indexJs.includes(`exports, "${name}"`) && !indexJs.includes(`exports.${name} =`)) fail(`dist/index.js does not export ${name}`);
}
if (names.length === 0) fail('src/index.ts exports no values');
writeFileSync(join(outDir, 'index.mjs'), `// errand's ESM entry. The implementation is the CommonJS build beside it, so that a process which
// both imports and requires errand (an ESM app, a CommonJS job file) shares one instance.
import errand from './index.js';

export const {\n${names.map((name) => `  ${name},`).join('\n')}\n} = errand;\n`);
writeFileSync(join(outDir, 'index.d.mts'), "// Types of errand's ESM entry: the same declarations as the CommonJS one.\nexport * from './index.js';\n");
