// A child process's stdout read as JSON lines: the returned array fills as complete lines
// arrive (a line split across chunks waits for its end). For tests that talk to a fixture child.

import type { Readable } from 'node:stream';

export function jsonLines<T = unknown>(stream: Readable): T[] {
  const lines: T[] = [];
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop()!;
    for (const line of complete) lines.push(JSON.parse(line) as T);
  });
  return lines;
}
