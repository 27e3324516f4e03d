// The store conformance suite: one set of cases every Store runs. A store's test
// file calls runStoreConformance() with a fixture that opens a fresh, empty store per case;
// a store that skips a case says why (`skip`), a known bug is marked `todo` with its reason.

import { describe } from 'node:test';
import type { Store } from '../../src/storage/types.ts';
import { Registry, type ConformanceOptions, type OpenedStore } from './harness.ts';
import { queueingCases } from './queueing.ts';
import { settleCases } from './settle.ts';
import { recoveryCases } from './recovery.ts';
import { adminCases } from './admin.ts';
import { adminListCases } from './admin-lists.ts';
import { livenessCases } from './liveness.ts';
import { jobStateCases } from './job-state.ts';
import { scheduleCases } from './schedules.ts';

export type { ConformanceOptions, OpenedStore } from './harness.ts';

export function runStoreConformance(
  name: string,
  open: () => Promise<{ store: Store; cleanup: () => Promise<void>; another?: () => Promise<Store> }>,
  options: ConformanceOptions = {},
): void {
  const registry = new Registry(open as () => Promise<OpenedStore>, options);
  describe(`store conformance: ${name}`, () => {
    describe('queueing', () => queueingCases(registry));
    describe('settle', () => settleCases(registry));
    describe('recovery', () => recoveryCases(registry));
    describe('admin', () => adminCases(registry));
    describe('admin lists', () => adminListCases(registry));
    describe('liveness', () => livenessCases(registry));
    describe('job state', () => jobStateCases(registry));
    describe('schedules', () => scheduleCases(registry));
    registry.checkMarkers();
  });
}
