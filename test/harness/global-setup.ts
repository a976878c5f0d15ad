// Vitest global setup for the e2e project: one fleet per test run, shared by every test file.
import type { TestProject } from 'vitest/node';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
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
  await grantDefaultProject(fleet);
  console.log(`[harness] fleet up in ${Date.now() - t0} ms (logs: ${fleet.runDir}/logs)`);
  project.provide('fleet', fleet.info());
}

export async function teardown(): Promise<void> {
  await fleet?.stop();
}

/**
 * The built-in `default` Project is least-privilege (no hub cluster, no cluster-scoped kinds, only
 * Applications in gitfleet-system). The tests' Applications live in their own namespaces and deploy
 * to the hub cluster, so the hub grants them that, as an admin would, with a Project named
 * `default`; the protected-resource rules still hold. Tests of the built-in run their controller
 * with a namespace of their own (test/security/tenancy.e2e.test.ts).
 */
async function grantDefaultProject(f: Fleet): Promise<void> {
  const hub = f.clusters[0];
  if (!hub) return;
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test-harness' },
  );
  await hub.admin.apply(
    {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: 'default', namespace: FLEET_NAMESPACE },
      spec: {
        sourceNamespaces: ['*'],
        sourceRepos: ['*'],
        destinations: [{ cluster: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    },
    { fieldManager: 'test-harness', force: true },
  );
}
