// How an operator names one entry of a list that moves (failed, waiting, scheduled): its
// position AND a digest of its stored value, so an action whose entry moved is refused instead
// of hitting its neighbour. The dashboard's forms and the CLI (`N:digest`) use the same digest.

import { createHash } from 'node:crypto';

/** A short digest of a stored entry (16 hex digits). */
export function refOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** `N:digest`, as `errand failed list` prints it and retry / remove take it. */
export function entryReference(index: number, raw: string): string {
  return `${index}:${refOf(raw)}`;
}

/** Parses `N:digest` (a leading `#` allowed); undefined when the text is not one. */
export function parseReference(text: string): { index: number; ref: string } | undefined {
  const m = /^#?(\d{1,15}):([0-9a-f]{16})$/.exec(text);
  return m ? { index: Number(m[1]), ref: m[2]! } : undefined;
}
