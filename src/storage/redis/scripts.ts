// Loads the Lua scripts in ./scripts and exposes each as a typed function. ioredis sends them
// with EVALSHA and falls back to EVAL on NOSCRIPT (a restarted or flushed Redis), so a script is
// shipped over the wire once per connection, not per call. The numbers are the fixed KEYS each
// script takes; some take more after those (the queues a call names), so the key count is sent
// with every call.

import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const SCRIPTS = {
  push: 2,
  reserve: 8,
  settle: 11,
  release: 2,
  register: 7,
  heartbeat: 10,
  reap: 6,
  promote: 3,
  'promote-delayed': 2,
  schedule: 1,
  'schedule-resque': 1,
  claim: 5,
  'declare-schedules': 1,
  'pause-schedule': 2,
  'retry-failed': 3,
  'run-scheduled': 4,
  'failed-filter': 3,
  'scheduled-filter': 3,
  'remove-scheduled': 2,
  'failed-requeue': 3,
  'find-job': 5,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number;
export type ScriptCall = (keys: readonly string[], args: readonly Arg[]) => Promise<unknown>;

export function commandName(script: ScriptName): string {
  return `errand_${script.replace(/-/g, '_')}`;
}

const sources = new Map<ScriptName, string>();
function source(script: ScriptName): string {
  let lua = sources.get(script);
  if (lua === undefined) {
    lua = readFileSync(new URL(`./scripts/${script}.lua`, import.meta.url), 'utf8');
    sources.set(script, lua);
  }
  return lua;
}

/** Defines every script on `redis` and returns a typed caller per script. */
export function loadScripts(redis: Redis): Record<ScriptName, ScriptCall> {
  const calls = {} as Record<ScriptName, ScriptCall>;
  for (const [script, numberOfKeys] of Object.entries(SCRIPTS) as [ScriptName, number][]) {
    const name = commandName(script);
    redis.defineCommand(name, { lua: source(script) });
    const command = (redis as unknown as Record<string, (...a: Arg[]) => Promise<unknown>>)[name]!;
    calls[script] = (keys, args) => {
      if (keys.length < numberOfKeys) throw new Error(`script ${script} takes at least ${numberOfKeys} keys, got ${keys.length}`);
      return command.call(redis, keys.length, ...keys, ...args);
    };
  }
  return calls;
}
