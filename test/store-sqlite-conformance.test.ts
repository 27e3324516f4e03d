// The SQLite store runs the store conformance suite, opened the way users open it: through
// openStore('sqlite:<path>'). Each case gets its own database file in a fresh temp directory,
// removed afterwards; a second instance on the same file stands in for another process.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/storage/open.ts';
import { runStoreConformance } from './conformance/suite.ts';

async function openSqlite() {
  const dir = await mkdtemp(join(tmpdir(), 'errand-conformance-'));
  const url = `sqlite:${join(dir, 'errand.db')}`;
  const open = () => openStore(url, { commandTimeoutMs: 5_000 });
  return {
    store: await open(),
    another: open,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

runStoreConformance('sqlite', openSqlite);
