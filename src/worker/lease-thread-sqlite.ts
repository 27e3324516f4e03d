// The lease thread's entry for a SQLite store (lease-spawn.ts picks it by the store's URL): the
// thread itself (lease-thread.ts) with the SQLite store class, and no other store's modules.

import { SqliteStore } from '../storage/sqlite/store.ts';
import { useStoreClasses } from './lease-thread.ts';

useStoreClasses({ SqliteStore });
