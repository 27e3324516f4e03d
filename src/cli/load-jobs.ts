// Loads the job files given with --require and collects the jobs they export: .js, .mjs and
// .cjs (CommonJS or ESM, as the file's extension and package.json say) and .ts, .mts, .cts.
// TypeScript goes through tsx, loaded only when a TypeScript file is required, so compiled
// JavaScript (tsc's output) runs with plain node and no tsx.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.ts';
import { isJob, type AnyJob } from '../job/define.ts';
import { isSchedule, type ScheduleDefinition } from '../scheduler/define.ts';

let tsxRegistered = false;

async function ensureTypeScript(file: string): Promise<void> {
  if (tsxRegistered) return;
  let apis: [{ register: () => unknown }, { register: () => unknown }];
  try {
    apis = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  } catch (error) {
    throw new ConfigError(`--require ${file}: TypeScript job files are loaded with tsx, which failed to load (${(error as Error).message}): `
      + 'install it (npm install tsx), or compile the jobs and --require the .js');
  }
  // Both hooks: a .ts file in a CommonJS package (or a .cts) is CommonJS, and Node hands it, and
  // whatever it require()s, to the CommonJS loader, which only tsx's CommonJS hook teaches
  // TypeScript; the ESM hook covers .mts and .ts in "type": "module" packages.
  apis[1].register();
  apis[0].register();
  tsxRegistered = true;
}

/** The exports that pass `is`, once each. */
function exportsIn<T>(namespace: Record<string, unknown>, is: (value: unknown) => value is T): T[] {
  const found = new Set<T>();
  for (const [key, value] of Object.entries(namespace)) {
    if (is(value)) found.add(value);
    // A CommonJS file's module.exports arrives as `default`, and Node's static guess at its named
    // exports misses forms such as `module.exports = { sendEmail: defineJob(...) }`: look inside.
    else if (key === 'default' && typeof value === 'object' && value !== null) {
      for (const inner of Object.values(value)) if (is(inner)) found.add(inner);
    }
  }
  return [...found];
}

export async function loadJobFiles(files: readonly string[]): Promise<AnyJob[]> {
  return (await loadFiles(files)).jobs;
}

/** The jobs and the schedules (defineSchedule values) the files export. */
export async function loadFiles(files: readonly string[]): Promise<{ jobs: AnyJob[]; schedules: ScheduleDefinition[] }> {
  const jobs: AnyJob[] = [];
  const schedules: ScheduleDefinition[] = [];
  for (const file of files) {
    const path = resolve(file);
    if (!existsSync(path)) throw new ConfigError(`--require ${file}: no such file (${path})`);
    if (/\.[cm]?tsx?$/.test(path)) await ensureTypeScript(file);
    let exports: Record<string, unknown>;
    try {
      // import() loads both formats on every Node 20.x; the file's require('errand') or
      // import 'errand' reaches the same errand as this CLI (one CommonJS build, see scripts/build.js).
      exports = await import(pathToFileURL(path).href);
    } catch (error) {
      throw new ConfigError(`--require ${file}: loading it failed: ${(error as Error).message}`);
    }
    const found = exportsIn(exports, isJob);
    const foundSchedules = exportsIn(exports, isSchedule);
    if (found.length === 0 && foundSchedules.length === 0) {
      throw new ConfigError(`--require ${file}: it exports no jobs (export the values defineJob returns, or classes with a static perform) and no schedules (defineSchedule)`);
    }
    jobs.push(...found);
    schedules.push(...foundSchedules);
  }
  return { jobs, schedules };
}
