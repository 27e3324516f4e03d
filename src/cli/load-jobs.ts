// Loads the job files given with --require (TypeScript or JavaScript) and collects the jobs
// they export. TypeScript is loaded through tsx's ESM hooks, registered once, only if needed.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.ts';
import { isJob, type AnyJob } from '../job/define.ts';

let tsxRegistered = false;

async function ensureTypeScript(): Promise<void> {
  if (tsxRegistered) return;
  const { register } = await import('tsx/esm/api');
  register();
  tsxRegistered = true;
}

export async function loadJobFiles(files: readonly string[]): Promise<AnyJob[]> {
  const jobs: AnyJob[] = [];
  for (const file of files) {
    const path = resolve(file);
    if (!existsSync(path)) throw new ConfigError(`--require ${file}: no such file (${path})`);
    if (/\.[cm]?tsx?$/.test(path)) await ensureTypeScript();
    let exports: Record<string, unknown>;
    try {
      exports = await import(pathToFileURL(path).href);
    } catch (error) {
      throw new ConfigError(`--require ${file}: loading it failed: ${(error as Error).message}`);
    }
    const found = Object.values(exports).filter(isJob);
    if (found.length === 0) throw new ConfigError(`--require ${file}: it exports no jobs (export the values defineJob returns, or classes with a static perform)`);
    jobs.push(...found);
  }
  return jobs;
}
