// How a failed Redis command reaches errand's callers: as a StoreError naming the server and
// the operation, counted once in this process's store incidents (metrics). Not async, and one
// promise reaction only: every enqueue passes through here.

import { StoreError } from '../../errors.ts';
import { countStoreError } from '../incidents.ts';

/** Runs `run` (a command or a few); its failure, thrown or rejected, becomes a StoreError. */
export function callRedis<T>(description: string, what: string, run: () => Promise<T>): Promise<T> {
  let running: Promise<T>;
  try {
    running = run();
  } catch (error) {
    running = Promise.reject(error);
  }
  return running.catch((error: unknown) => {
    countStoreError('redis');
    throw new StoreError(`Redis ${what} failed on ${description}: ${(error as Error).message}`, { cause: error });
  });
}
