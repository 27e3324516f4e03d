// Worker identity. Resque names a worker `host:pid:queues`, and that is what Resque's keys and
// resque-web show. It is not unique per process instance: a container restarted by its
// orchestrator keeps its hostname and is PID 1 again, and two containers may share a hostname.
// So the store keys liveness (lease, in-flight set, started watermark) by an instance id: the
// Resque id itself for the first instance to show it, else the Resque id plus `#` and a random
// 8-hex suffix. Invariant: resqueIdOf(instance id) gives back the Resque id, so one id travels.

import { randomBytes } from 'node:crypto';

const SUFFIX = /#[0-9a-f]{8}$/;

/** A fresh suffixed instance id for `resqueId` (used when the plain one is taken). */
export function suffixedInstanceId(resqueId: string): string {
  return `${resqueId}#${randomBytes(4).toString('hex')}`;
}

/**
 * Whether `resqueId` may serve as its own instance id. Not when it already ends like a suffix
 * (a queue named `x#0123abcd`): resqueIdOf() would cut it, so such ids are always suffixed.
 */
export function plainIdAllowed(resqueId: string): boolean {
  return !SUFFIX.test(resqueId);
}

/** The Resque id an instance id shows. */
export function resqueIdOf(instanceId: string): string {
  return instanceId.replace(SUFFIX, '');
}
