// The lease thread's entry for a Redis store (lease-spawn.ts picks it by the store's URL): the
// thread itself (lease-thread.ts) with the Redis store class, and no other store's modules.

import { RedisStore } from '../storage/redis/store.ts';
import { useStoreClasses } from './lease-thread.ts';

useStoreClasses({ RedisStore });
