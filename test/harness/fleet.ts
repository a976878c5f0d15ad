import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type TestCluster } from './cluster.js';
import { startEtcd, type Etcd } from './etcd.js';
import { startGitServer, type GitInfo, type GitServer } from './git.js';
import { createPki, type Pki } from './pki.js';
import { installExitHooks, pidAlive, reapOrphans } from './process.js';
import { repoRoot } from './tools.js';

/** Everything one test run (or `make demo`) shares: an etcd, N clusters and a Git server. */
export interface Fleet {
  runId: string;
  runDir: string;
  pki: Pki;
  etcd: Etcd;
  clusters: TestCluster[];
  git: GitServer;
  /** Plain data describing the fleet, for test workers and the demo's printout. */
  info(): FleetInfo;
  /** Stops every process by PID (clusters, Git server, etcd) and removes etcd's data; keeps logs. */
  stop(): Promise<void>;
}

/** What test workers need to reach the fleet: serializable, no handles. */
export interface FleetInfo {
  runDir: string;
  runId: string;
  /** The shared etcd, so a test can start a cluster of its own on it. */
  etcdUrl: string;
  pki: Pki;
  clusters: { name: string; server: string; kubeconfig: string }[];
  git: GitInfo;
  /** PIDs of every process the fleet started. */
  pids: number[];
}

export interface FleetOptions {
  /** Cluster names; default ['c1', 'c2']. */
  clusters?: string[];
  nodesPerCluster?: number;
  /** Where run directories go; default `<repo>/.gitfleet-run`. Only the newest 5 runs are kept. */
  baseDir?: string;
  /** Whether the harness handles SIGINT/SIGTERM itself; programs with their own handlers pass false. */
  signalHooks?: boolean;
}

/**
 * Starts the fleet. Clusters start in parallel; if any part fails to start, everything already
 * started is stopped before the error is rethrown.
 */
export async function startFleet(opts: FleetOptions = {}): Promise<Fleet> {
  installExitHooks({ signals: opts.signalHooks ?? true });
  reapOrphans();
  const base = opts.baseDir ?? join(repoRoot, '.gitfleet-run');
  const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}`;
  const runDir = join(base, runId);
  mkdirSync(runDir, { recursive: true });
  pruneOldRuns(base, 5);

  const pki = createPki(join(runDir, 'pki'));
  const etcd = await startEtcd(runDir);
  const started: { clusters: TestCluster[]; git?: GitServer } = { clusters: [] };
  const stop = async (): Promise<void> => {
    await Promise.all([...started.clusters.map((c) => c.stop()), started.git?.stop()]);
    await etcd.process.stop();
    rmSync(join(runDir, 'etcd-data'), { recursive: true, force: true });
  };
  try {
    const names = opts.clusters ?? ['c1', 'c2'];
    const [gitServer, ...results] = await Promise.allSettled([
      startGitServer(runDir),
      ...names.map((name) =>
        startCluster({ name, runDir, runId, etcdUrl: etcd.url, pki, nodes: opts.nodesPerCluster }),
      ),
    ]);
    if (gitServer?.status === 'fulfilled') started.git = gitServer.value;
    for (const r of results) if (r.status === 'fulfilled') started.clusters.push(r.value);
    const failures = [gitServer, ...results].filter(
      (r): r is PromiseRejectedResult => r?.status === 'rejected',
    );
    if (failures.length) {
      throw new AggregateError(
        failures.map((f) => f.reason as unknown),
        `fleet failed to start (logs: ${runDir}/logs)`,
      );
    }
    const git = started.git;
    if (!git) throw new Error('git server did not start');
    const clusters = started.clusters;
    const info = (): FleetInfo => ({
      runDir,
      runId,
      etcdUrl: etcd.url,
      pki,
      clusters: clusters.map((c) => ({ name: c.name, server: c.server, kubeconfig: c.kubeconfig })),
      git: git.info,
      pids: [etcd.process.pid, git.process.pid, ...clusters.flatMap((c) => c.processes.map((p) => p.pid))],
    });
    return { runId, runDir, pki, etcd, clusters, git, info, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function pruneOldRuns(base: string, keep: number): void {
  const runs = readdirSync(base)
    .filter((r) => /^\d{8}T\d{6}-\d+$/.test(r))
    .sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) {
    // A run whose owner (the pid in its name) still lives is in use by a concurrent run: keep it.
    const owner = Number(old.split('-').pop());
    if (pidAlive(owner)) continue;
    rmSync(join(base, old), { recursive: true, force: true });
  }
}
