import { join } from 'node:path';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { toolPath } from './tools.js';
import { FatalWaitError, waitFor } from './wait.js';

export interface Etcd {
  url: string;
  process: ManagedProcess;
}

/** Starts one etcd member on free loopback ports; every cluster of the run shares it by prefix. */
export async function startEtcd(runDir: string): Promise<Etcd> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = startProcess({
    name: 'etcd',
    command: toolPath('etcd'),
    args: [
      '--name=gitfleet-test',
      `--data-dir=${join(runDir, 'etcd-data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=gitfleet-test=${peerUrl}`,
      // Test data is disposable: no fsync, and a large quota because clusters share this member.
      '--unsafe-no-fsync=true',
      '--quota-backend-bytes=8589934592',
      '--auto-compaction-mode=periodic',
      '--auto-compaction-retention=5m',
      '--log-level=warn',
    ],
    logDir: join(runDir, 'logs'),
  });
  await waitFor(
    'etcd /health',
    async () => {
      if (!proc.running) throw new FatalWaitError(`etcd exited:\n${proc.tail()}`);
      const res = await fetch(`${url}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return { url, process: proc };
}
