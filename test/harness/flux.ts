import { accessSync, constants, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { toolVersions } from './tools.js';
import { FatalWaitError, waitFor } from './wait.js';

/** The two Flux controllers gitfleet is compared with (bench/peers), as plain processes. */
export type FluxController = 'source-controller' | 'kustomize-controller';

const versionKeys: Record<FluxController, string> = {
  'source-controller': 'FLUX_SOURCE_CONTROLLER_VERSION',
  'kustomize-controller': 'FLUX_KUSTOMIZE_CONTROLLER_VERSION',
};

/** `~/.cache/gitfleet/tools/flux-<controller>-<version>`, built by `scripts/build-tools.sh flux`. */
export function fluxToolDir(controller: FluxController): string {
  const version = toolVersions()[versionKeys[controller]];
  if (!version) throw new Error(`${versionKeys[controller]} is not pinned in scripts/versions.env`);
  const base = process.env.GITFLEET_TOOLS_DIR ?? join(homedir(), '.cache', 'gitfleet', 'tools');
  const dir = join(base, `flux-${controller}-${version}`);
  try {
    accessSync(join(dir, 'bin', controller), constants.X_OK);
  } catch {
    throw new Error(`Flux ${controller} ${version} is not built (${dir}): run scripts/build-tools.sh flux`);
  }
  return dir;
}

/** The release of each controller, as pinned. */
export function fluxVersions(): Record<FluxController, string> {
  const v = toolVersions();
  return {
    'source-controller': v.FLUX_SOURCE_CONTROLLER_VERSION ?? '?',
    'kustomize-controller': v.FLUX_KUSTOMIZE_CONTROLLER_VERSION ?? '?',
  };
}

/**
 * Installs the CRDs shipped in the controllers' modules (GitRepository & co. from source-controller,
 * Kustomization from kustomize-controller) and waits until they are served.
 */
export async function installFluxCrds(client: KubeClient): Promise<void> {
  for (const controller of ['source-controller', 'kustomize-controller'] as const) {
    const dir = join(fluxToolDir(controller), 'share', 'crds');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        const obj = doc.toJS() as KubeObject | null;
        if (obj?.kind === 'CustomResourceDefinition')
          await client.apply(obj, { fieldManager: 'gitfleet-bench', force: true });
      }
    }
  }
  for (const [apiVersion, kind] of [
    ['source.toolkit.fluxcd.io/v1', 'GitRepository'],
    ['kustomize.toolkit.fluxcd.io/v1', 'Kustomization'],
  ] as const) {
    await waitFor(
      `${kind} CRD served`,
      async () => {
        client.invalidateDiscovery();
        await client.list(apiVersion, kind);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }
}

/** A running source-controller + kustomize-controller pair. */
export interface Flux {
  source: ManagedProcess;
  kustomize: ManagedProcess;
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

export interface FluxOptions {
  /** Unique per run: names the log files and the artifact directory. */
  name: string;
  runDir: string;
  /** Admin kubeconfig of the cluster the controllers watch. */
  kubeconfig: string;
  /** The only namespace watched (`RUNTIME_NAMESPACE`, `--watch-all-namespaces=false`). */
  namespace: string;
  /** `--concurrent` of each controller; Flux's defaults are 2 (source) and 4 (kustomize). */
  concurrent?: { source?: number; kustomize?: number };
}

/**
 * Starts source-controller (artifacts on local disk, served on a free port that kustomize-controller
 * is told about) and kustomize-controller, each with free metrics and health ports and leader
 * election off, and waits until both report ready.
 */
export async function startFlux(opts: FluxOptions): Promise<Flux> {
  const logDir = join(opts.runDir, 'logs', opts.name);
  const storage = join(opts.runDir, 'flux', opts.name, 'artifacts');
  mkdirSync(storage, { recursive: true });
  const [storagePort, sMetrics, sHealth, kMetrics, kHealth] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const storageAddr = `127.0.0.1:${storagePort}`;
  const env = { KUBECONFIG: opts.kubeconfig, RUNTIME_NAMESPACE: opts.namespace };
  const common = ['--watch-all-namespaces=false', '--enable-leader-election=false', '--log-encoding=json'];
  const source = startProcess({
    name: 'flux-source-controller',
    command: join(fluxToolDir('source-controller'), 'bin', 'source-controller'),
    args: [
      ...common,
      `--storage-path=${storage}`,
      `--storage-addr=${storageAddr}`,
      `--storage-adv-addr=${storageAddr}`,
      `--metrics-addr=127.0.0.1:${sMetrics}`,
      `--health-addr=127.0.0.1:${sHealth}`,
      `--concurrent=${opts.concurrent?.source ?? 2}`,
    ],
    env,
    logDir,
  });
  const kustomize = startProcess({
    name: 'flux-kustomize-controller',
    command: join(fluxToolDir('kustomize-controller'), 'bin', 'kustomize-controller'),
    args: [
      ...common,
      '--no-remote-bases=true',
      `--metrics-addr=127.0.0.1:${kMetrics}`,
      `--health-addr=127.0.0.1:${kHealth}`,
      `--concurrent=${opts.concurrent?.kustomize ?? 4}`,
    ],
    env: { ...env, SOURCE_CONTROLLER_LOCALHOST: storageAddr },
    logDir,
  });
  const processes = [source, kustomize];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop(3000)));
  };
  try {
    for (const [p, port] of [
      [source, sHealth],
      [kustomize, kHealth],
    ] as const) {
      await waitFor(
        `${p.name} /readyz`,
        async () => {
          if (!p.running) throw new FatalWaitError(`${p.name} exited:\n${p.tail()}`);
          return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { source, kustomize, processes, stop };
}
