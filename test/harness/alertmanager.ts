import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { systemTool } from './tools.js';
import { FatalWaitError, waitFor } from './wait.js';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL?: string;
}

/** A real Prometheus Alertmanager (Debian's prometheus-alertmanager), no receivers but a null one. */
export interface Alertmanager {
  url: string;
  process: ManagedProcess;
  /** The alerts Alertmanager holds now (active, after its own deduplication by label set). */
  alerts(): Promise<AlertmanagerAlert[]>;
  stop(): Promise<void>;
}

export async function startAlertmanager(dir: string, logDir: string): Promise<Alertmanager> {
  const bin = systemTool('prometheus-alertmanager');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, JSON.stringify({ route: { receiver: 'null' }, receivers: [{ name: 'null' }] }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess({
    name: 'alertmanager',
    command: bin,
    args: [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // No peers: a single instance, and no gossip port to collide with other runs.
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    logDir,
  });
  await waitFor(
    'alertmanager /-/ready',
    async () => {
      if (!proc.running) throw new FatalWaitError(`alertmanager exited:\n${proc.tail()}`);
      return (await fetch(`${url}/-/ready`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return {
    url,
    process: proc,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`);
      if (!res.ok) throw new Error(`alertmanager GET /api/v2/alerts: HTTP ${res.status}`);
      return (await res.json()) as AlertmanagerAlert[];
    },
    stop: () => proc.stop(),
  };
}
