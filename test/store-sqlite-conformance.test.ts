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

runStoreConformance('sqlite', openSqlite, {
  todo: {
    'release of part of a batch, tokens in any order, keeps reservation order':
      'ops.ts release() puts jobs back in the order the tokens are given, not reservation order',
    'a reaped worker that reserves again before noticing loses no job':
      'reserve does not check the worker is registered: jobs reserved by a reaped worker are never recovered',
    'a worker can register again after being reaped and work normally':
      'tokens are job row ids, unchanged by a requeue: a pre-death token settles the new reservation of the same job',
  },
});
