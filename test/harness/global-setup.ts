// Vitest global setup for the e2e project: one fleet per test run, shared by every test file.
import type { TestProject } from 'vitest/node';
import { startFleet, type Fleet, type FleetInfo } from './fleet.js';

declare module 'vitest' {
  export interface ProvidedContext {
    fleet: FleetInfo;
  }
}

let fleet: Fleet | undefined;

export async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  fleet = await startFleet({ clusters: ['c1', 'c2'] });
  console.log(`[harness] fleet up in ${Date.now() - t0} ms (logs: ${fleet.runDir}/logs)`);
  project.provide('fleet', fleet.info());
}

export async function teardown(): Promise<void> {
  await fleet?.stop();
}
