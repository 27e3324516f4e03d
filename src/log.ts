// The logger errand writes through: pino to stdout by default (JSON when stdout is not a TTY,
// readable lines when it is), or any object with info/warn/error/debug the user passes in.
// Writes are synchronous so the last lines before a crash reach the terminal or the log file.

import { createRequire } from 'node:module';
import { pino } from 'pino';
import type PinoPretty from 'pino-pretty';

// pino-pretty is loaded only for a terminal: it is most of the logger's load time (~40 modules),
// and workers under a process manager write JSON.
const requireHere = createRequire(import.meta.url);

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

export type Verbosity = 'quiet' | 'verbose' | 'very-verbose';

/** VERBOSE=1 logs each job; VVERBOSE=1 also the fetch loop (Resque's variables). */
export function verbosityFromEnv(env: NodeJS.ProcessEnv = process.env): Verbosity {
  if (env.VVERBOSE && env.VVERBOSE !== '0') return 'very-verbose';
  if (env.VERBOSE && env.VERBOSE !== '0') return 'verbose';
  return 'quiet';
}

export function createLogger(verbosity: Verbosity = verbosityFromEnv()): Logger {
  const level = verbosity === 'very-verbose' ? 'trace' : verbosity === 'verbose' ? 'debug' : 'info';
  const options = { level, base: { pid: process.pid }, name: 'errand' };
  if (process.stdout.isTTY) {
    const pretty = requireHere('pino-pretty') as typeof PinoPretty;
    return pino(options, pretty({ sync: true, colorize: true, ignore: 'hostname', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

/** Scope a logger with bindings when it supports child(), else use it as it is. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return logger.child ? logger.child(bindings) : logger;
}

/** Trace-level line for the fetch loop, only when the logger has such a level (pino does). */
export function trace(logger: Logger, obj: unknown, msg: string): void {
  const fn = (logger as { trace?: (o: unknown, m?: string) => void }).trace;
  if (fn) fn.call(logger, obj, msg);
}
