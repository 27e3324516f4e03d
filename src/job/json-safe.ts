// Refuses args that would not come back the same after JSON.stringify + JSON.parse, before
// anything is stored. The error names the path and says what to pass instead, because the
// alternative (a Date silently turning into a string, undefined vanishing) surfaces hours later
// in a worker, far from the line that caused it.

import { NotJsonSafeError } from '../errors.ts';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

const ADVICE: Record<string, string> = {
  Date: 'pass date.toISOString() or date.getTime()',
  Map: 'pass Object.fromEntries(map) or [...map]',
  Set: 'pass [...set]',
  Buffer: "pass buffer.toString('base64')",
  Uint8Array: 'pass a base64 string or an array of numbers',
  RegExp: 'pass its source string',
  Error: 'pass its message',
  URL: 'pass url.href',
  Promise: 'await it first and pass the result',
};

function describeInstance(value: object): string {
  const name = value.constructor?.name;
  if (!name) return 'an object with a custom prototype: pass a plain object';
  const article = /^[AEIOU]/.test(name) ? 'an' : 'a';
  const advice = ADVICE[name] ?? (Buffer.isBuffer(value) ? ADVICE.Buffer : 'pass its id or a plain object of the fields you need');
  return `${article} ${name} instance: ${advice}`;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
function childPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Deeper than this, the fast check hands over to the one that tracks cycles. */
const FAST_DEPTH_LIMIT = 64;

/**
 * The hot path of every enqueue: true when `value` is plainly JSON-safe, with no allocation (no
 * paths, no cycle set). False means "look closer", not "unsafe": assertJsonSafe then finds and
 * names the culprit, or accepts a value that is merely deep.
 */
function plainlyJsonSafe(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth > FAST_DEPTH_LIMIT) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !plainlyJsonSafe(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) return false;
        if (!plainlyJsonSafe((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return Object.getOwnPropertySymbols(value).length === 0;
    }
    default:
      return false;
  }
}

/**
 * Throws NotJsonSafeError unless `value` survives a JSON round trip unchanged. `path` names the
 * value in the message; a number n stands for `args[n]`, so the hot path builds no string.
 */
export function assertJsonSafe(value: unknown, path: string | number): asserts value is JsonValue {
  if (plainlyJsonSafe(value, 0)) return;
  explainNotJsonSafe(value, typeof path === 'number' ? `args[${path}]` : path);
}

function explainNotJsonSafe(value: unknown, path: string, seen?: Set<object>): asserts value is JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (Number.isFinite(value)) return;
      throw new NotJsonSafeError(path, `${path} is ${value}, which JSON turns into null: pass a finite number or null`);
    case 'undefined':
      throw new NotJsonSafeError(path, `${path} is undefined, which JSON drops or turns into null: pass null or leave the key out`);
    case 'bigint':
      throw new NotJsonSafeError(path, `${path} is a BigInt, which JSON cannot encode: pass value.toString()`);
    case 'function':
      throw new NotJsonSafeError(path, `${path} is a function, which cannot be sent to a worker: pass data and look the behaviour up in perform`);
    case 'symbol':
      throw new NotJsonSafeError(path, `${path} is a symbol, which JSON cannot encode: pass a string`);
  }
  if (value === null) return;
  const object = value as object;
  seen ??= new Set();
  if (seen.has(object)) throw new NotJsonSafeError(path, `${path} refers back to itself (a cycle), which JSON cannot encode: pass an acyclic copy`);
  seen.add(object);
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) throw new NotJsonSafeError(`${path}[${i}]`, `${path}[${i}] is a hole in a sparse array, which JSON turns into null: pass null`);
      explainNotJsonSafe(object[i], `${path}[${i}]`, seen);
    }
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) throw new NotJsonSafeError(path, `${path} is ${describeInstance(object)}`);
    if (Object.getOwnPropertySymbols(object).length > 0) throw new NotJsonSafeError(path, `${path} has symbol keys, which JSON drops: use string keys`);
    for (const key of Object.keys(object)) explainNotJsonSafe((object as Record<string, unknown>)[key], childPath(path, key), seen);
  }
  seen.delete(object);
}
