import { join } from 'node:path';
import { startProcess, type ManagedProcess } from './process.js';
import { toolPath } from './tools.js';

const repoRoot = join(import.meta.dirname, '..', '..');

/**
 * Runs the `gitfleet` command as a process of its own (TypeScript through tsx), so a test can kill
 * it by PID the way a node failure would. Its log is `<logDir>/<name>.log`.
 */
export function startGitfleet(opts: {
  name: string;
  args: string[];
  logDir: string;
  env?: Record<string, string>;
}): ManagedProcess {
  return startProcess({
    name: opts.name,
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), ...opts.args],
    cwd: repoRoot,
    logDir: opts.logDir,
    env: {
      GITFLEET_KUSTOMIZE: toolPath('kustomize'),
      GITFLEET_HELM: toolPath('helm'),
      GITFLEET_LOG_LEVEL: 'info',
      ...opts.env,
    },
  });
}

/** `gitfleet controller` (a hub replica) as a process, scoped to a test's namespace and shard group. */
export function startHubProcess(opts: {
  name: string;
  logDir: string;
  kubeconfig: string;
  namespace: string;
  port: number;
  /** Hubs of different groups ignore each other's Leases. */
  shardGroup: string;
  replicaId: string;
  leaseDuration?: string;
  env?: Record<string, string>;
}): ManagedProcess {
  return startGitfleet({
    name: `${opts.name}-${Date.now()}`,
    logDir: opts.logDir,
    ...(opts.env ? { env: opts.env } : {}),
    args: [
      'controller',
      '--kubeconfig',
      opts.kubeconfig,
      '--namespace',
      opts.namespace,
      '--webhook-port',
      String(opts.port),
      '--poll-interval',
      '2s',
      '--cache-dir',
      join(opts.logDir, `${opts.replicaId}-sources`),
      '--shard-group',
      opts.shardGroup,
      '--replica-id',
      opts.replicaId,
      '--lease-duration',
      opts.leaseDuration ?? '6s',
    ],
  });
}
